// Cross-origin access for browser apps on other origins: only the origins listed in
// CORS_ALLOWED_ORIGINS get CORS headers, on every answer including errors; others get none.

import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { loadSettings, readAllowedOrigins, SettingsError } from "../settings";
import type { AppEnv } from "./context";

/** How long a browser may reuse a preflight answer, in seconds. */
export const PREFLIGHT_MAX_AGE = 600;

/** Request headers a cross-origin caller may send: its token and its body's type. */
export const ALLOWED_HEADERS = ["Authorization", "Content-Type"];

export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"];

/** Response headers an app may read besides the safelisted ones: wait, challenge, request id. */
export const EXPOSED_HEADERS = ["Retry-After", "WWW-Authenticate", "X-Request-Id"];

/** Whether the request's Origin is on the allow list. */
function isAllowedOrigin(origin: string, c: Context<AppEnv>): boolean {
  try {
    return loadSettings(c.env).corsAllowedOrigins.includes(origin);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;

    // Another setting is broken and every request answers 500: the app on an allowed origin
    // should still be able to read that answer.
    return readAllowedOrigins(c.env).includes(origin);
  }
}

/**
 * CORS for the allowed origins. Tokens travel in the Authorization header, never in cookies,
 * so credentials are not allowed. A preflight from an allowed origin is answered here, before
 * settings, authentication or routing run. Requests without an allowed Origin pass through
 * with no Access-Control-* header at all.
 */
export function allowedOriginsCors(): MiddlewareHandler<AppEnv> {
  const applyCors = cors({
    origin: (origin, c) => (isAllowedOrigin(origin, c as Context<AppEnv>) ? origin : null),
    allowHeaders: ALLOWED_HEADERS,
    allowMethods: ALLOWED_METHODS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE,
    credentials: false,
  });

  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && isAllowedOrigin(origin, c)) return applyCors(c, next);

    await next();
    // The answer would differ for an allowed Origin, so caches must key on it (Fetch, CORS
    // protocol and HTTP caches).
    c.header("Vary", "Origin", { append: true });
  };
}
