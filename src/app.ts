// The Hono application: shared middleware, the route groups, and the JSON answers for
// unknown paths and errors.

import type { MiddlewareHandler } from "hono";
import { Hono } from "hono/quick";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { database } from "./db/client";
import { RequestError } from "./errors";
import type { AppEnv } from "./http/context";
import { allowedOriginsCors } from "./http/cors";
import { handleError } from "./http/error-handler";
import { noStore } from "./http/no-store";
import { requestLog, writeLog } from "./log";
import { accountRoutes } from "./routes/account";
import { adminRoutes } from "./routes/admin";
import { apiDescriptionRoutes } from "./routes/api-description";
import { registerRoutes } from "./routes/register";
import { restrictedRoutes } from "./routes/restricted";
import { tokenRoutes } from "./routes/token";
import { loadSettings, SettingsError } from "./settings";

/** Largest request body accepted; credentials and tokens fit many times over. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Each distinct set of bad settings is logged once per isolate, not on every request. */
const reportedBadSettings = new Set<string>();

/** Parses settings (once per isolate) and prepares the database and the request's logger. */
const prepareRequest: MiddlewareHandler<AppEnv> = async (c, next) => {
  const clientIp = c.req.header("cf-connecting-ip") ?? "unknown";
  c.set("clientIp", clientIp);
  c.set("log", requestLog(c.var.requestId, clientIp));
  c.header("X-Request-Id", c.var.requestId);

  try {
    c.set("settings", loadSettings(c.env));
  } catch (error) {
    if (error instanceof SettingsError && !reportedBadSettings.has(error.message)) {
      reportedBadSettings.add(error.message);
      writeLog("error", "server.invalid_settings", { settings: error.names });
    }
    throw error;
  }

  c.set("db", database(c.env.DB));
  await next();
};

const checkBodySize = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new RequestError(413, "Request body is too large.");
  },
});

/**
 * Caps the body size. A body without a length is read here, so a client that hangs up
 * mid-body fails here: that is the client's error (400), not a server error.
 */
const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  let reachedRoute = false;
  try {
    await checkBodySize(c, async () => {
      reachedRoute = true;
      await next();
    });
  } catch (error) {
    if (reachedRoute || error instanceof RequestError) throw error;
    throw new RequestError(400, "The request body could not be read.");
  }
};

export const app = new Hono<AppEnv>();

// Ids are always ours: a client-chosen id could make log lines collide or impersonate others.
app.use(requestId({ headerName: "" }));
// Before settings and auth, so preflights are answered at once and errors keep CORS headers.
app.use(allowedOriginsCors());
app.use(noStore());
app.use(prepareRequest);
app.use(limitBody);

app.route("/", tokenRoutes);
app.route("/", registerRoutes);
app.route("/", restrictedRoutes);
app.route("/", accountRoutes);
app.route("/", adminRoutes);
app.route("/", apiDescriptionRoutes);

app.notFound((c) => c.json({ detail: "Not found." }, 404));
app.onError(handleError);
