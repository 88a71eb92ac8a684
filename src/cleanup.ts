// Deletes expired refresh-token rows, the edge counterpart of SimpleJWT's flushexpiredtokens.

import type { Database } from "./db/client";
import { CLEANUP_BATCH_SIZE, deleteExpiredBatch } from "./db/refresh-tokens";

/** Upper bound on batches per run, so one run stays well inside a Worker's limits. */
const MAX_BATCHES_PER_RUN = 50;

/** Deletes rows that expired before `now`, batch by batch; returns how many went. */
export async function deleteExpiredTokens(db: Database, now: number): Promise<number> {
  let total = 0;

  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    const deleted = await deleteExpiredBatch(db, now);
    total += deleted;
    if (deleted < CLEANUP_BATCH_SIZE) break;
  }
  return total;
}
