// The Worker's entry point: HTTP requests go to the Hono app; the cron trigger cleans up.

import { app } from "./app";
import { systemClock } from "./auth/tokens";
import { deleteExpiredTokens } from "./cleanup";
import { database } from "./db/client";
import { writeLog } from "./log";

export default {
  fetch: app.fetch,

  async scheduled(_controller, env, ctx) {
    const work = deleteExpiredTokens(database(env.DB), systemClock()).then((count) => {
      writeLog("info", "maintenance.expired_tokens_deleted", { count });
    });
    ctx.waitUntil(work);
  },
} satisfies ExportedHandler<Env>;
