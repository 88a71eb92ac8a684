// What the CLI needs from wrangler.toml: the [vars] table, read without a TOML library. Only
// `NAME = "value"` lines (or bare numbers) are understood, which is how the file writes them.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULTS, parseIterations } from "../settings.ts";
import { CliError } from "./d1.ts";

const WRANGLER_TOML = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

/** The `[vars]` table of wrangler.toml, as text values. */
export function readVars(path = WRANGLER_TOML): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVars = false;

  for (const line of readFileSync(path, "utf8").split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) inVars = trimmed === "[vars]";
    if (!inVars) continue;

    const match = /^([A-Z0-9_]+)\s*=\s*(?:"([^"]*)"|(\d+))\s*(?:#.*)?$/.exec(trimmed);
    if (match) vars[match[1]!] = match[2] ?? match[3]!;
  }
  return vars;
}

/**
 * The password work factor the Worker uses: the PASSWORD_HASH_ITERATIONS environment
 * variable when set, else wrangler.toml's [vars], else the default.
 */
export function passwordHashIterations(): number {
  const raw =
    process.env.PASSWORD_HASH_ITERATIONS ??
    readVars().PASSWORD_HASH_ITERATIONS ??
    DEFAULTS.PASSWORD_HASH_ITERATIONS;

  const iterations = parseIterations(raw);
  if (iterations === undefined) throw new CliError("PASSWORD_HASH_ITERATIONS is not valid.");
  return iterations;
}
