// Runs SQL against the D1 database through `wrangler d1 execute`, locally or remotely, and
// quotes values for it: wrangler's --command takes SQL text, not bound parameters.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Where the command runs: the local state wrangler dev uses, or the deployed database. */
export interface Target {
  remote: boolean;
  /** A local state directory other than wrangler's default (`--persist-to`). */
  persistTo?: string;
}

/** A failure the CLI reports in one line and exits 1 for. */
export class CliError extends Error {
  override name = "CliError";
}

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = fileURLToPath(
  new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url),
);

/** A string as an SQL literal: single quotes doubled. NUL cannot be written, so it is refused. */
export function sqlText(value: string): string {
  if (value.includes("\0")) throw new CliError("Values may not contain NUL characters.");
  return `'${value.replaceAll("'", "''")}'`;
}

/** An integer as SQL, checked so nothing but digits reaches the statement. */
export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new CliError(`Not an integer: ${value}`);
  return String(value);
}

/** A condition: the username contains the term, ignoring ASCII case (no LIKE length limit). */
export function sqlUsernameContains(term: string): string {
  return `instr(lower(username), lower(${sqlText(term)})) > 0`;
}

function targetFlags(target: Target): string[] {
  if (target.remote) return ["--remote"];
  return target.persistTo ? ["--local", "--persist-to", target.persistTo] : ["--local"];
}

function failureText(stdout: string, stderr: string): string {
  try {
    const parsed = JSON.parse(stdout) as { error?: { text?: string } };
    if (parsed.error?.text) return parsed.error.text;
  } catch {
    // Not JSON: wrangler failed before running the statement; its own output says why.
  }
  return (stderr || stdout).trim().split("\n").slice(-5).join("\n");
}

/**
 * Runs one or more `;`-separated statements and returns each statement's rows. Throws
 * CliError with wrangler's message when any statement fails.
 */
export function execute(target: Target, sql: string): Record<string, unknown>[][] {
  const args = [
    WRANGLER,
    "d1",
    "execute",
    "DB",
    ...targetFlags(target),
    "--json",
    "--command",
    sql,
  ];
  const result = spawnSync(process.execPath, args, {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    maxBuffer: 64 * 1024 * 1024,
  });

  if (result.error) throw new CliError(`Could not run wrangler: ${result.error.message}`);
  if (result.status !== 0) {
    throw new CliError(`wrangler d1 execute failed: ${failureText(result.stdout, result.stderr)}`);
  }

  const statements = JSON.parse(result.stdout) as { results: Record<string, unknown>[] }[];
  return statements.map((statement) => statement.results);
}
