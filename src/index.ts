// The Worker's entry point: HTTP requests go to the Hono app; the cron trigger cleans up.

import { app } from "./app";
import { deleteExpiredTokens } from "./cleanup";
import { database } from "./db/client";
import { describeForLog } from "./http/error-handler";
import { writeLog } from "./log";
import { loadSettings } from "./settings";

/**
 * Deletes what expired before `now`, less the leeway: a token the leeway still accepts must
 * keep its ledger row, or it would read as blacklisted. Logs the count, or the failure once.
 */
async function cleanUp(env: Env, now: number): Promise<void> {
  try {
    const { leeway } = loadSettings(env);
    const count = await deleteExpiredTokens(database(env.DB), now - leeway);
    writeLog("info", "maintenance.expired_tokens_deleted", { count });
  } catch (error) {
    writeLog("error", "maintenance.cleanup_failed", describeForLog(error));
    // Rethrown so the cron run is recorded as failed.
    throw error;
  }
}

export default {
  fetch: app.fetch,

  async scheduled(controller, env) {
    await cleanUp(env, Math.floor(controller.scheduledTime / 1000));
  },
} satisfies ExportedHandler<Env>;
