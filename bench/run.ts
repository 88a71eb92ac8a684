// `npm run bench`: builds the Worker, runs the micro-benchmarks in workerd, then drives each
// load scenario over loopback in interleaved rounds and reports medians and ratios to the
// ceiling of the same host. Options: --rounds N, --seconds S (per scenario per round),
// --micro-launches N, and --profile SCENARIO for a CPU profile of one plain-workerd scenario.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildWorker } from "./build.ts";
import { measureLoad, type Measurement } from "./load.ts";
import { measurePasswordHash, runMicroBenchmarks } from "./micro.ts";
import { startMiniflare } from "./miniflare-host.ts";
import { InspectorSession, summariseProfile, type Profile } from "./profile.ts";
import { readWorkerConfig, type WorkerConfig } from "./project.ts";
import { writeReport, type HashRun, type ScenarioRun } from "./report.ts";
import { SCENARIOS, type BenchContext, type HostName, type Scenario } from "./scenarios.ts";
import { accessTokenMinter, benchSigningKey, tokenPayload } from "./tokens.ts";
import { freePort, startWorkerd, writeWorkerdConfig, type ServerProcess } from "./workerd-host.ts";

/** Login throttling would turn the login scenario into 429s; the benchmark measures the work. */
const UNTHROTTLED = {
  THROTTLE_LOGIN_PER_IP: "1000000/1m",
  THROTTLE_LOGIN_PER_USERNAME: "1000000/1m",
  THROTTLE_REGISTER_PER_IP: "1000000/1m",
};
const PAUSE_MS = 300;

const { values: options } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "4" },
    "micro-launches": { type: "string", default: "3" },
    profile: { type: "string" },
  },
});

const servers: ServerProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), "bench-"));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function stopEverything(): Promise<void> {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
  rmSync(scratch, { recursive: true, force: true });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopEverything().finally(() => process.exit(130));
  });
}

async function startPlainWorkerd(
  config: WorkerConfig,
  bundleDir: string,
  modules: string[],
  bindings: Record<string, string>,
  extraArgs: string[] = [],
) {
  const port = await freePort();
  const configPath = writeWorkerdConfig("server", {
    dir: bundleDir,
    modules,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    text: bindings,
    // D1 does not exist in plain workerd; an empty object lets the app make its (unused) handle.
    json: { DB: "{}" },
    port,
  });
  return startWorkerd(configPath, port, "/api/bench-ceiling/", extraArgs);
}

async function postJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Registers a user through the API, so its hash is made by the Worker at its work factor. */
async function registerUser(url: string, username: string, password: string): Promise<number> {
  const answer = await postJson(`${url}/api/register/`, { username, password });
  if (answer.status !== 201) throw new Error(`seeding ${username} answered ${answer.status}`);
  return answer.body.id as number;
}

async function seedContext(
  hosts: Record<HostName, ServerProcess>,
  key: string,
  config: WorkerConfig,
): Promise<BenchContext> {
  const url = hosts.miniflare.url;
  const password = `Bench-${crypto.randomUUID()}`;
  const loginUser = { username: "bench_login", password };
  await registerUser(url, loginUser.username, password);
  const tokenUserId = await registerUser(url, "bench_tokens", password);

  const login = async () => {
    const answer = await postJson(`${url}/api/token/`, loginUser);
    if (answer.status !== 200) throw new Error(`login answered ${answer.status}`);
    return answer.body as { access: string; refresh: string };
  };
  const tokenLogin = await postJson(`${url}/api/token/`, { username: "bench_tokens", password });
  const sessionVersion = Number(tokenPayload(String(tokenLogin.body.access)).session_version ?? 0);

  const context: BenchContext = {
    hosts,
    mintAccess: accessTokenMinter(key, accessLifetime(config)),
    tokenUser: { id: tokenUserId, sessionVersion },
    loginUser,
    refreshPool: [],
    async topUpRefreshPool(count) {
      for (let index = 0; index < count; index++) context.refreshPool.push((await login()).refresh);
    },
  };
  return context;
}

async function runScenario(
  context: BenchContext,
  scenario: Scenario,
  seconds: number,
): Promise<Measurement> {
  const host = context.hosts[scenario.host];
  if (!host) throw new Error(`no ${scenario.host} host is running`);
  const request = await scenario.prepare(context, seconds);
  const measurement = await measureLoad({
    url: host.url,
    pid: host.pid,
    request,
    connections: scenario.connections,
    ...(scenario.amount ? { amount: scenario.amount } : { seconds }),
  });
  await sleep(PAUSE_MS);
  return measurement;
}

/** Each round runs every scenario once, starting one further along the list than the last. */
function roundOrder(round: number): Scenario[] {
  const shift = round % SCENARIOS.length;
  return [...SCENARIOS.slice(shift), ...SCENARIOS.slice(0, shift)];
}

function accessLifetime(config: WorkerConfig): number {
  return Number(config.vars.ACCESS_TOKEN_LIFETIME ?? 300) || 300;
}

/** Profiles one plain-workerd scenario with the unminified bundle and prints its hot functions. */
async function profile(name: string, seconds: number): Promise<void> {
  const scenario = SCENARIOS.find(
    (candidate) => candidate.id === name && candidate.host === "workerd",
  );
  if (!scenario) {
    const names = SCENARIOS.filter((candidate) => candidate.host === "workerd").map((c) => c.id);
    throw new Error(`--profile takes one of: ${names.join(", ")}`);
  }

  const config = await readWorkerConfig();
  const bundle = buildWorker(join(scratch, "bundle"), false);
  const key = benchSigningKey();
  const inspectorPort = await freePort();
  const bindings = { ...config.vars, ...UNTHROTTLED, JWT_SIGNING_KEY: key };
  const inspector = ["--inspector-addr", `127.0.0.1:${inspectorPort}`];
  const workerd = await startPlainWorkerd(config, bundle.dir, bundle.modules, bindings, inspector);
  servers.push(workerd);

  const context: BenchContext = {
    hosts: { workerd },
    mintAccess: accessTokenMinter(key, accessLifetime(config)),
    tokenUser: { id: 1, sessionVersion: 0 },
    loginUser: { username: "", password: "" },
    refreshPool: [],
    topUpRefreshPool: () => Promise.reject(new Error("no D1 in plain workerd")),
  };
  await runScenario(context, scenario, 1);

  const session = await InspectorSession.connect(inspectorPort);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 50 });
  await session.send("Profiler.start");
  const measurement = await runScenario(context, scenario, seconds);
  const { profile: samples } = await session.send<{ profile: Profile }>("Profiler.stop");
  session.close();

  const rows = summariseProfile(samples, bundle.dir, measurement.requests).slice(0, 30);
  console.log(
    `\n${scenario.title}: ${measurement.requests} requests, ${measurement.cpuPerRequestUs.toFixed(0)} µs CPU/request (profiler on)\n`,
  );
  console.log("| self % | µs/request | function | module |\n|---:|---:|---|---|");
  for (const row of rows) {
    console.log(
      `| ${row.selfPercent.toFixed(1)} | ${row.selfUsPerRequest.toFixed(1)} | ${row.function} | ${row.module} |`,
    );
  }
  await stopEverything();
}

async function main(): Promise<void> {
  if (options.profile) return profile(options.profile, Math.max(1, Number(options.seconds)));

  const started = performance.now();
  const rounds = Math.max(1, Number(options.rounds));
  const seconds = Math.max(1, Number(options.seconds));

  log("building the Worker (wrangler deploy --dry-run --minify)...");
  const config = await readWorkerConfig();
  const bundle = buildWorker(join(scratch, "bundle"));
  const key = benchSigningKey();
  const baseBindings = { ...config.vars, ...UNTHROTTLED, JWT_SIGNING_KEY: key };

  log("micro-benchmarks in workerd...");
  const { result: micro, server: hashServer } = await runMicroBenchmarks({
    bundle,
    dir: scratch,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    bindings: baseBindings,
    launches: Math.max(1, Number(options["micro-launches"])),
  });
  servers.push(hashServer);

  log("starting plain workerd and Miniflare (D1, AUTH_USER_CHECK=database)...");
  const workerd = await startPlainWorkerd(config, bundle.dir, bundle.modules, baseBindings);
  servers.push(workerd);
  const miniflare = await startMiniflare({
    bundle,
    config,
    bindings: { ...baseBindings, AUTH_USER_CHECK: "database" },
    persistDir: join(scratch, "d1"),
    port: await freePort(),
  });
  servers.push(miniflare);

  const context = await seedContext({ workerd, miniflare }, key, config);

  log("warm-up (1 s per scenario, not measured)...");
  for (const scenario of SCENARIOS)
    await runScenario(context, { ...scenario, amount: scenario.amount && 2 }, 1);

  const runs: ScenarioRun[] = [];
  const hashes: HashRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const scenario of roundOrder(round)) {
      // The hash is timed next to the login, so the two see the same machine load.
      if (scenario.id === "login")
        hashes.push({ round, ...(await measurePasswordHash(hashServer)) });

      const measurement = await runScenario(context, scenario, seconds);
      runs.push({ round, scenario: scenario.id, measurement });
      log(
        `round ${round + 1}/${rounds} ${scenario.id.padEnd(20)} ${measurement.requestsPerSecond.toFixed(0).padStart(6)} req/s ` +
          `${measurement.cpuPerRequestUs.toFixed(0).padStart(7)} µs CPU/req`,
      );
    }
  }

  await stopEverything();
  await writeReport({
    rounds,
    seconds,
    scenarios: SCENARIOS,
    runs,
    hashes,
    micro,
    bundle,
    startup: { workerdMs: workerd.startupMs, miniflareMs: miniflare.startupMs },
    totalSeconds: (performance.now() - started) / 1000,
  });
}

// Exits explicitly: Miniflare and esbuild can keep idle handles open after they are done.
main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await stopEverything();
    console.error(error);
    process.exit(1);
  },
);
