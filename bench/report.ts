// Turns the raw runs into medians, ratios to the ceiling of the same host and round, and the
// targets; prints a table and writes bench/results.json and bench/RESULTS.md.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bundle } from "./build.ts";
import type { Measurement } from "./load.ts";
import { describeMachine, type Machine } from "./machine.ts";
import type { MicroResult } from "./micro.ts";
import { PROJECT_ROOT } from "./project.ts";
import type { Scenario } from "./scenarios.ts";
import { median } from "./stats.ts";

export interface ScenarioRun {
  round: number;
  scenario: string;
  measurement: Measurement;
}

/** One password hash timed in a round, just before that round's login run. */
export interface HashRun {
  round: number;
  hashMs: number;
  hashWallMs: number;
}

export interface ReportInput {
  rounds: number;
  seconds: number;
  scenarios: Scenario[];
  runs: ScenarioRun[];
  hashes: HashRun[];
  micro: MicroResult;
  bundle: Bundle;
  startup: { workerdMs: number; miniflareMs: number };
  totalSeconds: number;
}

interface ScenarioSummary {
  id: string;
  title: string;
  host: string;
  ceiling: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuPerRequestUs: number;
  /** Median over rounds of this scenario's req/s divided by its ceiling's in the same round. */
  throughputRatio: number;
  /** Median over rounds of CPU per request minus the ceiling's in the same round. */
  cpuAddedUs: number;
  unexpectedResponses: number;
}

interface Target {
  name: string;
  value: number;
  limit: string;
  met: boolean;
  note?: string;
}

/** The seed's Django REST Framework server, measured the same way on the restricted route. */
const DRF_RESTRICTED_CPU_US = 1900;
const DRF_LOGIN_CPU_MS = 100;

function ceilingOf(scenario: Scenario): string {
  return scenario.host === "workerd" ? "ceiling" : "ceiling-miniflare";
}

function unexpected(scenario: Scenario, measurement: Measurement): number {
  const expected = measurement.statuses[String(scenario.expectedStatus)] ?? 0;
  return measurement.requests - expected + measurement.errors;
}

function summarise(input: ReportInput, scenario: Scenario): ScenarioSummary {
  const own = input.runs.filter((run) => run.scenario === scenario.id);
  const ceiling = ceilingOf(scenario);
  const ceilingIn = (round: number) =>
    input.runs.find((run) => run.scenario === ceiling && run.round === round)!.measurement;
  const pick = (get: (m: Measurement) => number) => median(own.map((run) => get(run.measurement)));

  return {
    id: scenario.id,
    title: scenario.title,
    host: scenario.host,
    ceiling,
    requests: own.reduce((sum, run) => sum + run.measurement.requests, 0),
    requestsPerSecond: pick((m) => m.requestsPerSecond),
    p50Ms: pick((m) => m.p50Ms),
    p99Ms: pick((m) => m.p99Ms),
    cpuPerRequestUs: pick((m) => m.cpuPerRequestUs),
    throughputRatio: median(
      own.map((run) => run.measurement.requestsPerSecond / ceilingIn(run.round).requestsPerSecond),
    ),
    cpuAddedUs: median(
      own.map((run) => run.measurement.cpuPerRequestUs - ceilingIn(run.round).cpuPerRequestUs),
    ),
    unexpectedResponses: own.reduce((sum, run) => sum + unexpected(scenario, run.measurement), 0),
  };
}

/** Median over rounds of one scenario's req/s divided by another's in the same round. */
function pairedRatio(input: ReportInput, scenario: string, reference: string): number {
  const inRound = (id: string, round: number) =>
    input.runs.find((run) => run.scenario === id && run.round === round)!.measurement;
  const rounds = input.runs.filter((run) => run.scenario === scenario).map((run) => run.round);
  return median(
    rounds.map(
      (round) =>
        inRound(scenario, round).requestsPerSecond / inRound(reference, round).requestsPerSecond,
    ),
  );
}

function target(name: string, value: number, limit: string, met: boolean, note?: string): Target {
  return note === undefined ? { name, value, limit, met } : { name, value, limit, met, note };
}

function evaluateTargets(input: ReportInput, byId: Map<string, ScenarioSummary>): Target[] {
  const repeated = byId.get("restricted-repeated")!;
  const fresh = byId.get("restricted-fresh")!;
  const freshControl = byId.get("ceiling-fresh-header")!;
  const freshVsControl = pairedRatio(input, "restricted-fresh", "ceiling-fresh-header");
  const database = byId.get("restricted-database")!;
  const login = byId.get("login")!;
  const { micro, bundle } = input;
  const loginMs = login.cpuPerRequestUs / 1000;
  const loginPerHash = median(
    input.runs
      .filter((run) => run.scenario === "login")
      .map((run) => {
        const hash = input.hashes.find((h) => h.round === run.round)!;
        return run.measurement.cpuPerRequestUs / 1000 / hash.hashMs;
      }),
  );
  // wrangler's own figure when it printed one: it is what the upload limit is checked against.
  const gzipKiB = bundle.wranglerKiB?.gzip ?? bundle.gzipBytes / 1024;

  return [
    target(
      "restricted, repeated token: throughput vs ceiling",
      repeated.throughputRatio,
      "≥ 0.85",
      repeated.throughputRatio >= 0.85,
    ),
    target(
      "restricted, repeated token: CPU added per request (µs)",
      repeated.cpuAddedUs,
      "≤ 25",
      repeated.cpuAddedUs <= 25,
    ),
    target(
      "restricted, fresh token: throughput vs ceiling",
      fresh.throughputRatio,
      "≥ 0.70",
      fresh.throughputRatio >= 0.7,
    ),
    target(
      "restricted, fresh token: throughput vs the same requests on the ceiling route",
      freshVsControl,
      "≥ 0.70",
      freshVsControl >= 0.7,
      `control row ceiling-fresh-header, which adds ${fixed(freshControl.cpuAddedUs, 0)} µs CPU over the plain ceiling`,
    ),
    target(
      "restricted, stateless: CPU per request vs DRF's 1.9 ms (µs)",
      repeated.cpuPerRequestUs,
      "≤ 190 (10× cheaper)",
      repeated.cpuPerRequestUs <= DRF_RESTRICTED_CPU_US / 10,
    ),
    target(
      "restricted, database mode (Miniflare): CPU per request vs DRF's 1.9 ms (µs)",
      database.cpuPerRequestUs,
      "≤ 190 (10× cheaper)",
      database.cpuPerRequestUs <= DRF_RESTRICTED_CPU_US / 10,
      "includes Miniflare's own entry worker and simulated D1 in the same process",
    ),
    target(
      "login: CPU per request vs DRF's 100 ms (ms)",
      loginMs,
      "≤ 10 (10× cheaper)",
      loginMs <= DRF_LOGIN_CPU_MS / 10,
      "the PBKDF2 work factor is the same as Django's by design; only a lower factor would meet this",
    ),
    target("sign in workerd (µs)", micro.signUs, "≤ 20", micro.signUs <= 20),
    target("verify in workerd (µs)", micro.verifyUs, "≤ 20", micro.verifyUs <= 20),
    target(
      "login CPU / one password hash",
      loginMs / micro.hashMs,
      "≤ 1.15",
      loginMs / micro.hashMs <= 1.15,
    ),
    target("bundle, gzipped (KiB)", gzipKiB, "≤ 45", gzipKiB <= 45),
    target(
      "first evaluation of the bundle (ms)",
      micro.evaluationMs,
      "< 10",
      micro.evaluationMs < 10,
    ),
  ];
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function scenarioTable(summaries: ScenarioSummary[]): string[] {
  const rows = [
    "| scenario | host | req/s | p50 ms | p99 ms | CPU µs/req | req/s ÷ ceiling | CPU added µs | bad answers |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    const isCeiling = s.id === s.ceiling;
    rows.push(
      `| ${s.id} | ${s.host} | ${fixed(s.requestsPerSecond, 0)} | ${fixed(s.p50Ms, 2)} | ${fixed(s.p99Ms, 2)} | ` +
        `${fixed(s.cpuPerRequestUs, 0)} | ${isCeiling ? "1" : fixed(s.throughputRatio, 2)} | ` +
        `${isCeiling ? "0" : fixed(s.cpuAddedUs, 0)} | ${s.unexpectedResponses} |`,
    );
  }
  return rows;
}

function targetTable(targets: Target[]): string[] {
  const rows = ["| target | measured | wanted | result |", "|---|---:|---|---|"];
  for (const t of targets) {
    const result = t.met ? "met" : `**not met**${t.note ? ` (${t.note})` : ""}`;
    rows.push(`| ${t.name} | ${fixed(t.value, 2)} | ${t.limit} | ${result} |`);
  }
  return rows;
}

function microTable(input: ReportInput): string[] {
  const { micro, bundle, startup } = input;
  return [
    "| measure | value |",
    "|---|---:|",
    `| sign (signClaims), µs | ${fixed(micro.signUs, 1)} |`,
    `| verify, same token (readToken), µs | ${fixed(micro.verifyUs, 1)} |`,
    `| verify, a new token each time, µs | ${fixed(micro.verifyFreshUs, 1)} |`,
    `| password hash at ${micro.hashIterations} iterations, CPU ms | ${fixed(micro.hashMs, 1)} |`,
    `| the same, wall-clock in the isolate, ms | ${fixed(micro.hashWallMs, 1)} |`,
    `| app.fetch in the isolate, ceiling route, µs | ${fixed(micro.appRequests.ceilingUs, 1)} |`,
    `| app.fetch in the isolate, restricted, same token, µs | ${fixed(micro.appRequests.restrictedRepeatedUs, 1)} |`,
    `| app.fetch in the isolate, restricted, new token each time, µs | ${fixed(micro.appRequests.restrictedFreshUs, 1)} |`,
    `| bundle, minified, bytes | ${bundle.bytes} |`,
    `| bundle, gzipped (level 9), bytes | ${bundle.gzipBytes} |`,
    `| bundle bytes by source (minified, before gzip) | ${(bundle.composition ?? []).map((c) => `${c.source} ${c.bytes}`).join(", ")} |`,
    `| bundle as wrangler reports it, KiB | ${bundle.wranglerKiB ? `${bundle.wranglerKiB.total} / gzip ${bundle.wranglerKiB.gzip}` : "n/a"} |`,
    `| first evaluation of the bundle (dynamic import), ms | ${fixed(micro.evaluationMs, 2)} |`,
    `| its first request (router, settings, key import), ms | ${fixed(micro.firstRequestMs, 2)} |`,
    `| its second request, ms | ${fixed(micro.secondRequestMs, 2)} |`,
    `| workerd spawn to first answer, micro worker, ms | ${fixed(micro.startupMs, 0)} |`,
    `| workerd spawn to first answer, the Worker, ms | ${fixed(startup.workerdMs, 0)} |`,
    `| Miniflare start (new Miniflare to ready), ms | ${fixed(startup.miniflareMs, 0)} |`,
  ];
}

function markdown(
  input: ReportInput,
  machine: Machine,
  summaries: ScenarioSummary[],
  targets: Target[],
) {
  return [
    "# Benchmark results",
    "",
    "Written by `npm run bench`; see the README's Benchmark section for what each figure means.",
    "",
    `- Date: ${machine.date}`,
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB memory`,
    `- Node ${machine.node}, ${machine.workerd}, miniflare ${machine.miniflare}, autocannon ${machine.autocannon}`,
    `- ${input.rounds} interleaved rounds, ${input.seconds} s per scenario per round (login: a fixed number of requests), medians over rounds; whole run ${fixed(input.totalSeconds, 0)} s`,
    "",
    "## Load over loopback",
    "",
    "CPU is the server process's user + system time divided by answers received. Ratios compare each",
    "scenario with the ceiling route of the same host in the same round.",
    "",
    ...scenarioTable(summaries),
    "",
    "## Inside workerd",
    "",
    "Loops: the fastest of five 40 ms batches, median over fresh workerd processes. The hash: CPU",
    "time from /proc around four hashes. The first evaluation: a dynamic import of the deployed",
    "bundle in a fresh isolate (the local clock ticks in whole milliseconds).",
    "",
    ...microTable(input),
    "",
    "## Targets",
    "",
    ...targetTable(targets),
    "",
  ].join("\n");
}

/** Formats as the repository's Prettier setup would, so `npm run format` leaves the files alone. */
async function formatted(text: string, parser: "json" | "markdown"): Promise<string> {
  const prettier = await import("prettier");
  return prettier.format(text, { parser, printWidth: 100 });
}

/** Prints the summary and writes bench/results.json and bench/RESULTS.md. */
export async function writeReport(input: ReportInput): Promise<void> {
  const machine = describeMachine();
  const summaries = input.scenarios.map((scenario) => summarise(input, scenario));
  const targets = evaluateTargets(input, new Map(summaries.map((s) => [s.id, s])));

  const results = {
    machine,
    ...input,
    bundle: {
      bytes: input.bundle.bytes,
      gzipBytes: input.bundle.gzipBytes,
      wranglerKiB: input.bundle.wranglerKiB,
      composition: input.bundle.composition,
    },
    summaries,
    targets,
  };
  writeFileSync(
    join(PROJECT_ROOT, "bench", "results.json"),
    await formatted(JSON.stringify(results), "json"),
  );
  writeFileSync(
    join(PROJECT_ROOT, "bench", "RESULTS.md"),
    await formatted(markdown(input, machine, summaries, targets), "markdown"),
  );

  console.log(
    [
      "",
      ...scenarioTable(summaries),
      "",
      ...microTable(input),
      "",
      ...targetTable(targets),
      "",
    ].join("\n"),
  );
  const met = targets.filter((t) => t.met).length;
  console.log(`${met} of ${targets.length} targets met. Full report: bench/RESULTS.md`);
}
