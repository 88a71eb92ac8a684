// Runs a Worker in plain `workerd serve`, with nothing in front of it: a capnp config that
// embeds the modules, one HTTP socket on loopback, and the bindings as text.

import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { workerdBinary } from "./project.ts";

/** A server process this benchmark started, and how to reach and stop it. */
export interface ServerProcess {
  pid: number;
  url: string;
  /** Milliseconds from spawning the process to its first HTTP answer. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface WorkerdConfig {
  /** Folder holding the modules; the config is written there and embeds them. */
  dir: string;
  /** Module file names, the entry module first. */
  modules: string[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Text bindings (vars and secrets). */
  text: Record<string, string>;
  /** JSON bindings, as source text. */
  json?: Record<string, string>;
  port: number;
}

/** A capnp text literal; values here are plain ASCII settings, anything else is refused. */
function capnpText(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error("binding values must be printable ASCII");
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Writes `<dir>/<name>.capnp` for one worker and returns its path. */
export function writeWorkerdConfig(name: string, config: WorkerdConfig): string {
  const modules = config.modules.map(
    (file) => `(name = ${capnpText(file)}, esModule = embed ${capnpText(file)})`,
  );
  const bindings = [
    ...Object.entries(config.text).map(
      ([key, value]) => `(name = ${capnpText(key)}, text = ${capnpText(value)})`,
    ),
    ...Object.entries(config.json ?? {}).map(
      ([key, value]) => `(name = ${capnpText(key)}, json = ${capnpText(value)})`,
    ),
  ];

  const source = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${config.port}", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    ${modules.join(",\n    ")}
  ],
  compatibilityDate = ${capnpText(config.compatibilityDate)},
  compatibilityFlags = [${config.compatibilityFlags.map(capnpText).join(", ")}],
  bindings = [
    ${bindings.join(",\n    ")}
  ],
);
`;
  const path = join(config.dir, `${name}.capnp`);
  writeFileSync(path, source, { mode: 0o600 });
  return path;
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts `workerd serve`, in its own process group, and waits for its first answer. */
export async function startWorkerd(
  configPath: string,
  port: number,
  probePath: string,
  extraArgs: string[] = [],
) {
  const logPath = `${configPath}.log`;
  const log = openSync(logPath, "w");
  const started = performance.now();
  const child = spawn(workerdBinary(), ["serve", configPath, ...extraArgs], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForAnswer(child, url + probePath);
  } catch (error) {
    await stopProcessGroup(child);
    const output = readFileSync(logPath, "utf8").slice(-2000);
    throw new Error(`workerd did not start: ${(error as Error).message}\n${output}`);
  }

  const server: ServerProcess = {
    pid: child.pid!,
    url,
    startupMs: performance.now() - started,
    stop: () => stopProcessGroup(child),
  };
  return server;
}

async function waitForAnswer(child: ChildProcess, url: string, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolveWait) => setTimeout(resolveWait, 5));
    }
  }
  throw new Error("no answer in time");
}

/** Stops a process group this benchmark started: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;

  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 3000);
  await exited;
  clearTimeout(timer);
}
