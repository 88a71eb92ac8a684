// One measured load run: autocannon over loopback against a server process, with the server's
// CPU time read before and after, so the cost per request does not depend on the client.

import { readCpuSeconds } from "./cpu.ts";
import { percentile } from "./stats.ts";
import { projectRequire } from "./project.ts";

const autocannon = projectRequire("autocannon") as Autocannon;

/** The request a scenario sends; `next` may replace headers or body per request. */
export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  next?: () => { headers?: Record<string, string>; body?: string };
  onResponse?: (status: number, body: string) => void;
}

export interface LoadPlan {
  url: string;
  pid: number;
  request: LoadRequest;
  connections: number;
  /** Run for this many seconds... */
  seconds?: number;
  /** ...or for exactly this many requests (for slow requests, so none is cut off mid-way). */
  amount?: number;
}

export interface Measurement {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuSeconds: number;
  cpuPerRequestUs: number;
  statuses: Record<string, number>;
  errors: number;
}

/** Runs one load and measures it. */
export async function measureLoad(plan: LoadPlan): Promise<Measurement> {
  const latencies: number[] = [];
  const { request } = plan;
  const next = request.next;

  const cpuBefore = readCpuSeconds(plan.pid);
  const instance = autocannon({
    url: plan.url,
    connections: plan.connections,
    pipelining: 1,
    ...(plan.amount ? { amount: plan.amount } : { duration: plan.seconds ?? 3 }),
    timeout: 30,
    requests: [
      {
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        ...(next && {
          setupRequest: (base: AutocannonRequest) => {
            const change = next();
            return {
              ...base,
              headers: { ...base.headers, ...change.headers },
              body: change.body ?? base.body,
            };
          },
        }),
        ...(request.onResponse && { onResponse: request.onResponse }),
      },
    ],
  });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  const result = await instance;
  const cpuSeconds = readCpuSeconds(plan.pid) - cpuBefore;

  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats)) statuses[code] = stats.count;
  const requests = result.requests.total;
  return {
    requests,
    seconds: result.duration,
    requestsPerSecond: requests / result.duration,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuSeconds,
    cpuPerRequestUs: requests > 0 ? (cpuSeconds * 1e6) / requests : Number.NaN,
    statuses,
    errors: result.errors + result.timeouts,
  };
}
