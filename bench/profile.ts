// `npm run bench -- --profile SCENARIO`: a sampling CPU profile of the Worker in plain workerd
// (unminified bundle, inspector on loopback) while one scenario runs, summarised by function.

import { readFileSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** A minimal DevTools-protocol session over the inspector's WebSocket. */
export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  /** Connects to the first target the inspector lists. */
  static async connect(inspectorPort: number): Promise<InspectorSession> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    await new Promise((resolveOpen, reject) => {
      socket.addEventListener("open", resolveOpen, { once: true });
      socket.addEventListener("error", reject, { once: true });
    });
    return new InspectorSession(socket);
  }

  send<T>(method: string, params: object = {}): Promise<T> {
    const id = this.nextId++;
    const answer = new Promise<T>((resolveAnswer) =>
      this.pending.set(id, resolveAnswer as (r: unknown) => void),
    );
    this.socket.send(JSON.stringify({ id, method, params }));
    return answer;
  }

  close(): void {
    this.socket.close();
  }
}

/** The bundle's module for each line: wrangler's unminified output marks each with `// path`. */
function moduleOfLine(bundlePath: string): (line: number) => string {
  const lines = readFileSync(bundlePath, "utf8").split("\n");
  const owners: string[] = [];
  let current = "(bundle)";
  for (const line of lines) {
    const marker = /^\/\/ (\S+\.(?:[cm]?js|ts))$/.exec(line);
    if (marker) current = marker[1]!.replace(/^.*node_modules\//, "").replace(/^(\.\.\/)+/, "");
    owners.push(current);
  }
  return (line) => owners[line] ?? "(bundle)";
}

export interface ProfileRow {
  function: string;
  module: string;
  selfPercent: number;
  selfUsPerRequest: number;
}

/** Self time per function, largest first: share of busy samples, and µs per request. */
export function summariseProfile(
  profile: Profile,
  bundleDir: string,
  requests: number,
): ProfileRow[] {
  const moduleOf = moduleOfLine(join(bundleDir, "index.js"));
  const hits = (node: ProfileNode) => node.hitCount ?? 0;
  const totalHits = profile.nodes.reduce((sum, node) => sum + hits(node), 0);
  const idleHits = profile.nodes
    .filter((node) => node.callFrame.functionName === "(idle)")
    .reduce((sum, node) => sum + hits(node), 0);
  const busyHits = Math.max(1, totalHits - idleHits);
  const usPerHit = (profile.endTime - profile.startTime) / Math.max(1, totalHits);

  const byFunction = new Map<string, ProfileRow>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const module = url ? moduleOf(lineNumber) : "(runtime)";
    const name = functionName || "(anonymous)";
    const key = `${name}@${module}`;
    if (name === "(idle)") continue;

    const row = byFunction.get(key) ?? {
      function: name,
      module,
      selfPercent: 0,
      selfUsPerRequest: 0,
    };
    row.selfPercent += (hits(node) * 100) / busyHits;
    row.selfUsPerRequest += (hits(node) * usPerHit) / Math.max(1, requests);
    byFunction.set(key, row);
  }
  return [...byFunction.values()].sort((a, b) => b.selfPercent - a.selfPercent);
}

export type { Profile };
