// Starts what the browser tests talk to: `wrangler dev` on a free port with a fresh database,
// and a blank page on a second loopback origin, the one CORS_ALLOWED_ORIGINS allows.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    apiOrigin: string;
    pageOrigin: string;
  }
}

const WRANGLER = "node_modules/wrangler/bin/wrangler.js";
const QUIET_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const READY_TIMEOUT_MS = 60_000;

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** A loopback port nobody listens on right now; never 8787, which a developer may be using. */
async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port === 8787 ? freePort() : port;
}

/** Serves one blank page: the origin a separate browser app would live on. */
async function startBlankPage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end("<!doctype html><title>Another origin</title>");
  });
  const port = await listen(server);
  return { server, origin: `http://127.0.0.1:${port}` };
}

function applyMigrations(stateDir: string) {
  const args = [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir];
  const run = spawnSync(process.execPath, args, {
    env: { ...process.env, ...QUIET_ENV, CI: "true" },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stdout}\n${run.stderr}`);
}

function startWrangler(stateDir: string, port: number, pageOrigin: string): ChildProcess {
  const signingKey = randomBytes(48).toString("base64url");
  const args = [
    WRANGLER,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    stateDir,
    "--var",
    `CORS_ALLOWED_ORIGINS:${pageOrigin}`,
    "--var",
    `JWT_SIGNING_KEY:${signingKey}`,
  ];
  // Its own process group, so teardown can stop wrangler and workerd together.
  return spawn(process.execPath, args, {
    env: { ...process.env, ...QUIET_ENV },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Stops wrangler and the workerd it started, by process group; SIGKILL if they linger. */
async function stopGroup(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise((resolve) => child.once("exit", resolve));
  signalGroup(child.pid!, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child.pid!, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Waits until the port answers as this API does: a JSON 401 from the restricted route. */
async function waitUntilReady(origin: string, wrangler: ChildProcess, output: () => string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited:\n${output()}`);
    try {
      const response = await fetch(`${origin}/api/restricted/`);
      const body = (await response.json()) as { detail?: string };
      if (response.status === 401 && body.detail) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`wrangler dev was not ready in time:\n${output()}`);
}

export default async function setup(project: TestProject) {
  const stateDir = mkdtempSync(join(tmpdir(), "edge-simplejwt-e2e-"));
  applyMigrations(stateDir);

  const page = await startBlankPage();
  const port = await freePort();
  const wrangler = startWrangler(stateDir, port, page.origin);
  let log = "";
  wrangler.stdout?.on("data", (chunk) => (log += chunk));
  wrangler.stderr?.on("data", (chunk) => (log += chunk));

  const apiOrigin = `http://127.0.0.1:${port}`;
  const teardown = async () => {
    await stopGroup(wrangler);
    await new Promise((resolve) => page.server.close(resolve));
    rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(apiOrigin, wrangler, () => log);
  } catch (error) {
    await teardown();
    throw error;
  }

  project.provide("apiOrigin", apiOrigin);
  project.provide("pageOrigin", page.origin);
  return teardown;
}
