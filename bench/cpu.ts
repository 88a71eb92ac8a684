// CPU time of a server process, read from /proc: the measure that stays stable on a shared,
// noisy machine where requests per second do not.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second; /proc/PID/stat counts CPU time in these. */
const TICKS_PER_SECOND = readTicksPerSecond();

function readTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** User plus system CPU seconds used so far by a process, all of its threads together. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");

  // The command name (field 2) may hold spaces; every field after it follows the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return (userTicks + systemTicks) / TICKS_PER_SECOND;
}

/** The resolution of readCpuSeconds, in seconds. */
export const CPU_TICK_SECONDS = 1 / TICKS_PER_SECOND;

/** Process ids of this process's children whose command name is `name`. */
export function childProcessIds(name: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;

    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      const parent = Number(stat.slice(close + 2).split(" ")[1]);
      if (parent === process.pid && stat.slice(open + 1, close) === name)
        children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}
