// The guard for staff-only routes, after requireAccessToken: staff status is read from D1 on
// every request, because a token issued before a demotion must not keep its powers.

import type { MiddlewareHandler } from "hono";
import { findUserById } from "../db/users";
import { AuthenticationError, RequestError } from "../errors";
import type { AppEnv } from "../http/context";
import { PERMISSION_DENIED } from "./admin";

/**
 * Lets through only active staff users. A user who no longer exists or is inactive gets
 * SimpleJWT's 401 for the database check; a user who is not staff gets 403.
 */
export function requireStaff(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // The database check mode has just loaded the user; otherwise read it now.
    const user = c.var.auth.user ?? (await findUserById(c.var.db, c.var.auth.userId));

    if (!user) throw new AuthenticationError("User not found", "user_not_found");
    if (!user.isActive) throw new AuthenticationError("User is inactive", "user_inactive");
    if (!user.isStaff) throw new RequestError(403, PERMISSION_DENIED);

    c.set("auth", { ...c.var.auth, user });
    await next();
  };
}
