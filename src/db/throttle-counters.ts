// The throttle counters repository: fixed-window attempt counts in D1, one row per key.
// Counting is one upsert, so concurrent attempts from many isolates never lose a count.

import { eq, lte, sql } from "drizzle-orm";
import type { Database } from "./client";
import { throttleCounters } from "./schema";

/** Rows deleted per cleanup statement; small enough for D1's per-query limits. */
export const COUNTER_CLEANUP_BATCH_SIZE = 500;

/** What a counter holds after an attempt was counted. */
export interface CounterState {
  attempts: number;
  expiresAt: number;
}

/**
 * The statement that counts one attempt for `key`: it opens a window of `windowSeconds` at
 * `now` when the row is missing or its window has passed, and otherwise adds one.
 */
export function countAttemptStatement(
  db: Database,
  key: string,
  now: number,
  windowSeconds: number,
) {
  const expired = sql`${throttleCounters.expiresAt} <= ${now}`;

  return db
    .insert(throttleCounters)
    .values({ key, windowStart: now, attempts: 1, expiresAt: now + windowSeconds })
    .onConflictDoUpdate({
      target: throttleCounters.key,
      set: {
        windowStart: sql`case when ${expired} then excluded.window_start
          else ${throttleCounters.windowStart} end`,
        attempts: sql`case when ${expired} then 1 else ${throttleCounters.attempts} + 1 end`,
        expiresAt: sql`case when ${expired} then excluded.expires_at
          else ${throttleCounters.expiresAt} end`,
      },
    })
    .returning({ attempts: throttleCounters.attempts, expiresAt: throttleCounters.expiresAt });
}

/** Counts one attempt on each key in one round trip; the states come back in key order. */
export async function countAttempts(
  db: Database,
  counts: { key: string; windowSeconds: number }[],
  now: number,
): Promise<CounterState[]> {
  const [first, ...rest] = counts.map((count) =>
    countAttemptStatement(db, count.key, now, count.windowSeconds),
  );
  if (!first) return [];

  const results = await db.batch([first, ...rest]);
  return results.map((rows) => rows[0]!);
}

/** Forgets the attempts counted on a key. */
export async function deleteCounter(db: Database, key: string): Promise<void> {
  await db.delete(throttleCounters).where(eq(throttleCounters.key, key));
}

/** Deletes up to one batch of counters whose window has passed; returns how many went. */
export async function deleteExpiredCounterBatch(db: Database, now: number): Promise<number> {
  const expired = db
    .select({ key: throttleCounters.key })
    .from(throttleCounters)
    .where(lte(throttleCounters.expiresAt, now))
    .limit(COUNTER_CLEANUP_BATCH_SIZE);

  const deleted = await db
    .delete(throttleCounters)
    .where(sql`${throttleCounters.key} in ${expired}`)
    .returning({ key: throttleCounters.key });
  return deleted.length;
}
