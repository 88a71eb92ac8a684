// Keeps API answers out of every cache: they carry tokens or depend on the caller's token.

import type { MiddlewareHandler } from "hono";

/**
 * Marks every answer `Cache-Control: no-store` and `Pragma: no-cache`, as RFC 6749 section 5.1
 * requires for responses that contain tokens; errors and other API answers get it too.
 */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next();

    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
  };
}
