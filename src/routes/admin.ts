// User administration for staff users, under /api/admin/users/: list and search, show,
// activate or deactivate, grant or revoke staff, revoke sessions, delete.

import type { Context } from "hono";
import { Hono } from "hono/quick";
import {
  changeUserFlags,
  describeUserForStaff,
  findUsersPage,
  removeUser,
  requireUser,
  revokeUserSessions,
  searchTerms,
} from "../auth/admin";
import { requireAccessToken } from "../auth/require-access-token";
import { requireStaff } from "../auth/require-staff";
import { systemClock } from "../auth/tokens";
import { RequestError } from "../errors";
import { readFields } from "../http/body";
import { optionalBoolean } from "../http/boolean-field";
import type { AppEnv } from "../http/context";
import type { User } from "../db/schema";
import { form, validate } from "../http/fields";
import { otherMethods } from "../http/methods";
import { paginated, readPageRequest } from "../http/pagination";

export const USERS_PATH = "/api/admin/users/";
/** Only digits reach the handlers; any other id is an unknown path, answered 404. */
export const USER_PATH = "/api/admin/users/:id{[0-9]+}/";
export const REVOKE_SESSIONS_PATH = "/api/admin/users/:id{[0-9]+}/revoke-sessions/";

export const userChangeSchema = form({
  is_active: optionalBoolean(),
  is_staff: optionalBoolean(),
});

const staffOnly = [requireAccessToken(), requireStaff()] as const;

/** The staff user making the request, loaded by the staff check. */
function actor(c: Context<AppEnv>): User {
  return c.var.auth.user!;
}

function userId(c: Context<AppEnv>): number {
  const id = Number(c.req.param("id"));
  if (!Number.isSafeInteger(id)) throw new RequestError(404, "Not found.");
  return id;
}

/** One log line per change: who (the staff user) did what to whom. */
function audit(c: Context<AppEnv>, event: string, targetId: number): void {
  c.var.log.event("info", event, { user_id: c.var.auth.userId, target_user_id: targetId });
}

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.get(USERS_PATH, ...staffOnly, async (c) => {
  const url = new URL(c.req.url);
  const terms = searchTerms(c.req.query("search"));
  const request = readPageRequest(url);

  const { total, page, users } = await findUsersPage(c.var.db, terms, request);

  return c.json(paginated(url, page, total, users.map(describeUserForStaff)));
});

adminRoutes.get(USER_PATH, ...staffOnly, async (c) => {
  const user = await requireUser(c.var.db, userId(c));

  return c.json(describeUserForStaff(user));
});

adminRoutes.patch(USER_PATH, ...staffOnly, async (c) => {
  const input = validate(userChangeSchema, await readFields(c));
  const flags = { isActive: input.is_active, isStaff: input.is_staff };

  const user = await changeUserFlags(c.var.db, actor(c), userId(c), flags, systemClock());
  audit(c, "admin.user_changed", user.id);

  return c.json(describeUserForStaff(user));
});

adminRoutes.delete(USER_PATH, ...staffOnly, async (c) => {
  const id = userId(c);

  await removeUser(c.var.db, actor(c), id);
  audit(c, "admin.user_deleted", id);

  return c.body(null, 204);
});

adminRoutes.post(REVOKE_SESSIONS_PATH, ...staffOnly, async (c) => {
  const id = userId(c);

  await revokeUserSessions(c.var.db, actor(c), id, systemClock());
  audit(c, "admin.sessions_revoked", id);

  return c.json({});
});

adminRoutes.all(USERS_PATH, otherMethods(["GET", "HEAD"]));
adminRoutes.all(USER_PATH, otherMethods(["GET", "HEAD", "PATCH", "DELETE"]));
adminRoutes.all(REVOKE_SESSIONS_PATH, otherMethods(["POST"]));
