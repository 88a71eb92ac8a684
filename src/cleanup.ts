// Deletes expired refresh-token rows, the edge counterpart of SimpleJWT's flushexpiredtokens.

import type { Database } from "./db/client";
import { deleteExpiredThrottleCounters } from "./auth/throttle";
import { CLEANUP_BATCH_SIZE, deleteExpiredBatch } from "./db/refresh-tokens";

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

/**
 * Deletes rows that expired before `before`, batch by batch; returns how many went. What a
 * run leaves behind (more than `maxBatches` full batches) goes in the next run.
 */
export async function deleteExpiredTokens(
  db: Database,
  before: number,
  limits: CleanupLimits = DEFAULT_LIMITS,
): Promise<number> {
  let total = 0;
  // Throttle counters past their window go in the same run; they are not counted here.
  await deleteExpiredThrottleCounters(db, before);

  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const deleted = await deleteExpiredBatch(db, before, limits.batchSize);
    total += deleted;
    if (deleted < limits.batchSize) break;
  }
  return total;
}
