// Micro-benchmarks inside workerd: bundles micro-worker.ts with esbuild beside a copy of the
// deployed bundle, runs it in plain workerd a few times, and keeps the medians.

import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Bundle } from "./build.ts";
import { readCpuSeconds } from "./cpu.ts";
import { median } from "./stats.ts";
import { PROJECT_ROOT, projectRequire } from "./project.ts";
import { freePort, startWorkerd, writeWorkerdConfig, type ServerProcess } from "./workerd-host.ts";

export interface MicroResult {
  /** Milliseconds to evaluate the deployed bundle (dynamic import in a fresh isolate). */
  evaluationMs: number;
  /** The bundle's first request (router built, settings parsed, key imported), in ms. */
  firstRequestMs: number;
  secondRequestMs: number;
  /** Spawning workerd to its first answer, evaluation included, in ms. */
  startupMs: number;
  signUs: number;
  verifyUs: number;
  verifyFreshUs: number;
  /** CPU milliseconds of one password hash, read from /proc around a few hashes (medians). */
  hashMs: number;
  /** Wall-clock milliseconds of one hash, timed inside the isolate. */
  hashWallMs: number;
  hashIterations: number;
  appRequests: { ceilingUs: number; restrictedRepeatedUs: number; restrictedFreshUs: number };
}

export interface MicroOptions {
  bundle: Bundle;
  dir: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: Record<string, string>;
  launches: number;
}

async function bundleMicroWorker(dir: string): Promise<void> {
  const esbuild = await import(projectRequire.resolve("esbuild"));
  await esbuild.build({
    entryPoints: [join(PROJECT_ROOT, "bench", "micro-worker.ts")],
    outfile: join(dir, "micro.js"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["./app.js"],
    logLevel: "error",
  });
}

/** Enough hashes for the CPU clock's 10 ms ticks to matter little. */
const HASH_RUNS = 4;

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`micro-benchmark answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** One password hash at the configured work factor: CPU ms from /proc, wall ms in the isolate. */
export async function measurePasswordHash(server: ServerProcess) {
  const cpuBefore = readCpuSeconds(server.pid);
  const timed = await getJson(`${server.url}/hash?runs=${HASH_RUNS}`);
  const hashMs = ((readCpuSeconds(server.pid) - cpuBefore) * 1000) / HASH_RUNS;
  return {
    hashMs,
    hashWallMs: timed.hashWallMs as number,
    hashIterations: timed.hashIterations as number,
  };
}

async function launch(configDir: string, options: MicroOptions, index: number) {
  const port = await freePort();
  const configPath = writeWorkerdConfig(`micro-${index}`, {
    dir: configDir,
    modules: ["micro.js", "app.js", ...options.bundle.modules.slice(1)],
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: options.compatibilityFlags,
    text: options.bindings,
    json: { DB: "{}" },
    port,
  });
  return startWorkerd(configPath, port, "/ready");
}

async function measureOnce(server: ServerProcess): Promise<MicroResult> {
  const loops = await getJson(`${server.url}/run`);
  const hashes = await measurePasswordHash(server);
  return { ...loops, ...hashes, startupMs: server.startupMs } as MicroResult;
}

/**
 * Runs the micro-benchmarks in `launches` fresh workerd processes and keeps the medians. The
 * last process is left running and returned, for the password-hash figure of each load round.
 */
export async function runMicroBenchmarks(options: MicroOptions) {
  const dir = join(options.dir, "micro");
  mkdirSync(dir, { recursive: true });
  await bundleMicroWorker(dir);
  copyFileSync(join(options.bundle.dir, options.bundle.modules[0]!), join(dir, "app.js"));
  for (const module of options.bundle.modules.slice(1)) {
    copyFileSync(join(options.bundle.dir, module), join(dir, module));
  }

  const runs: MicroResult[] = [];
  let server: ServerProcess | undefined;
  for (let index = 0; index < options.launches; index++) {
    await server?.stop();
    server = await launch(dir, options, index);
    try {
      runs.push(await measureOnce(server));
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  const pick = (get: (run: MicroResult) => number) => median(runs.map(get));
  const result: MicroResult = {
    evaluationMs: pick((run) => run.evaluationMs),
    firstRequestMs: pick((run) => run.firstRequestMs),
    secondRequestMs: pick((run) => run.secondRequestMs),
    startupMs: pick((run) => run.startupMs),
    signUs: pick((run) => run.signUs),
    verifyUs: pick((run) => run.verifyUs),
    verifyFreshUs: pick((run) => run.verifyFreshUs),
    hashMs: pick((run) => run.hashMs),
    hashWallMs: pick((run) => run.hashWallMs),
    hashIterations: runs[0]!.hashIterations,
    appRequests: {
      ceilingUs: pick((run) => run.appRequests.ceilingUs),
      restrictedRepeatedUs: pick((run) => run.appRequests.restrictedRepeatedUs),
      restrictedFreshUs: pick((run) => run.appRequests.restrictedFreshUs),
    },
  };
  return { result, server: server! };
}
