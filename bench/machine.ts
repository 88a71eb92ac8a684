// A description of the machine and the tool versions, for the report.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { packageVersion, workerdBinary } from "./project.ts";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  workerd: string;
  miniflare: string;
  autocannon: string;
  date: string;
}

function cpuModel(): string {
  const info = readFileSync("/proc/cpuinfo", "utf8");
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? "unknown";
}

function workerdVersion(): string {
  const reported = execFileSync(workerdBinary(), ["--version"], { encoding: "utf8" }).trim();
  return `${reported} (npm ${packageVersion("@cloudflare/workerd-linux-64")})`;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    workerd: workerdVersion(),
    miniflare: packageVersion("miniflare"),
    autocannon: packageVersion("autocannon"),
    date: new Date().toISOString(),
  };
}
