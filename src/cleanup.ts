// Deletes expired rows: refresh tokens (the edge counterpart of SimpleJWT's
// flushexpiredtokens) and throttle counters past their window, in bounded batches.

import type { Database } from "./db/client";
import { CLEANUP_BATCH_SIZE, deleteExpiredBatch } from "./db/refresh-tokens";
import { COUNTER_CLEANUP_BATCH_SIZE, deleteExpiredCounterBatch } from "./db/throttle-counters";

/** Upper bound on batches per run, so one run stays well inside a Worker's limits. */
const MAX_BATCHES_PER_RUN = 50;

/** How much one run may delete: `maxBatches` statements of at most `batchSize` rows. */
export interface CleanupLimits {
  batchSize: number;
  maxBatches: number;
}

const DEFAULT_LIMITS: CleanupLimits = {
  batchSize: CLEANUP_BATCH_SIZE,
  maxBatches: MAX_BATCHES_PER_RUN,
};

/** Runs `deleteBatch` until one comes back short or the budget is spent; returns the total. */
async function deleteInBatches(
  deleteBatch: (size: number) => Promise<number>,
  limits: CleanupLimits,
): Promise<number> {
  let total = 0;

  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const deleted = await deleteBatch(limits.batchSize);
    total += deleted;
    if (deleted < limits.batchSize) break;
  }
  return total;
}

/** Deletes throttle counters whose window ended before `now`; returns how many went. */
export async function deleteExpiredThrottleCounters(db: Database, now: number): Promise<number> {
  const limits = { batchSize: COUNTER_CLEANUP_BATCH_SIZE, maxBatches: MAX_BATCHES_PER_RUN };
  return deleteInBatches(() => deleteExpiredCounterBatch(db, now), limits);
}

/**
 * Deletes refresh-token rows that expired before `before`, and throttle counters past their
 * window; returns how many token rows went. What a run leaves behind (more than `maxBatches`
 * full batches) goes in the next run.
 */
export async function deleteExpiredTokens(
  db: Database,
  before: number,
  limits: CleanupLimits = DEFAULT_LIMITS,
): Promise<number> {
  await deleteExpiredThrottleCounters(db, before);
  return deleteInBatches((size) => deleteExpiredBatch(db, before, size), limits);
}
