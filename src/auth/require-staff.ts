// The guard for staff-only routes, after requireAccessToken: staff status is read from D1 on
// every request, because a token issued before a demotion must not keep its powers.

import type { MiddlewareHandler } from "hono";
import { RequestError } from "../errors";
import type { AppEnv } from "../http/context";
import { requireActiveUser } from "./account";
import { PERMISSION_DENIED } from "./admin";

/**
 * Lets through only active staff users. A user who no longer exists or is inactive gets
 * SimpleJWT's 401 for the database check; a user who is not staff gets 403.
 */
export function requireStaff(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // The database check mode has just loaded the user; otherwise read it now.
    const user = await requireActiveUser(c.var.db, c.var.auth.userId, c.var.auth.user);
    if (!user.isStaff) throw new RequestError(403, PERMISSION_DENIED);

    c.set("auth", { ...c.var.auth, user });
    await next();
  };
}
