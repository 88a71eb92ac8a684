// Deletes expired refresh-token rows from D1 through wrangler, in bounded batches: the
// command-line counterpart of the hourly cron cleanup (SimpleJWT's flushexpiredtokens).
//
//   npm run tokens:flush                          the local database `npm run dev` uses
//   npm run tokens:flush -- --persist-to DIR      a local database kept in DIR
//   npm run tokens:flush -- --remote              the deployed database
//   options: --batch-size N (rows per statement), --leeway SECONDS (your JWT_LEEWAY)

import { parseArgs } from "node:util";
import { execute, type Target } from "./d1.ts";

const DEFAULT_BATCH_SIZE = 1000;
/** Larger statements risk D1's per-query time limit on a big table. */
const MAX_BATCH_SIZE = 10_000;
/** Longest leeway accepted: a day, as no sensible JWT_LEEWAY comes near it. */
const MAX_LEEWAY = 86_400;

interface Options {
  target: Target;
  batchSize: number;
  cutoff: number;
}

function usage(message: string): never {
  console.error(`tokens:flush: ${message}`);
  console.error(
    "usage: npm run tokens:flush -- [--local | --remote] [--persist-to DIR] " +
      "[--batch-size N] [--leeway SECONDS]",
  );
  process.exit(2);
}

function readInteger(raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;

  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) return undefined;
  return value;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      local: { type: "boolean" },
      remote: { type: "boolean" },
      "persist-to": { type: "string" },
      "batch-size": { type: "string" },
      leeway: { type: "string" },
    },
  });
  if (values.local && values.remote) usage("choose --local or --remote, not both");
  if (values.remote && values["persist-to"]) usage("--persist-to applies to --local only");

  const batchSize = readInteger(values["batch-size"], DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE);
  if (batchSize === undefined) usage(`--batch-size must be 1 to ${MAX_BATCH_SIZE}`);
  const leeway = readInteger(values.leeway, 0, 0, MAX_LEEWAY);
  if (leeway === undefined) usage(`--leeway must be 0 to ${MAX_LEEWAY} seconds`);

  const target: Target = { remote: Boolean(values.remote), persistTo: values["persist-to"] };

  // Rows a token with this leeway could still use must stay, as the cron cleanup keeps them.
  const cutoff = Math.floor(Date.now() / 1000) - leeway;
  return { target, batchSize, cutoff };
}

/** One bounded delete; returns how many rows went. Both numbers are checked integers. */
function deleteBatch(options: Options): number {
  const sql =
    "delete from refresh_tokens where jti in (select jti from refresh_tokens " +
    `where expires_at < ${options.cutoff} limit ${options.batchSize}) returning 1 as gone`;

  const [rows = []] = execute(options.target, sql);
  return rows.length;
}

function main(): void {
  const options = readOptions();
  const where = options.target.remote ? "remote" : "local";
  let total = 0;

  for (;;) {
    const deleted = deleteBatch(options);
    total += deleted;
    if (deleted > 0) console.log(`Deleted ${deleted} expired refresh tokens (${total} so far).`);
    if (deleted < options.batchSize) break;
  }
  console.log(`Done: ${total} expired refresh tokens deleted from the ${where} database.`);
}

try {
  main();
} catch (error) {
  console.error(`tokens:flush: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
