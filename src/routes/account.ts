// Session management for the signed-in user: logout everywhere and password change.

import { Hono } from "hono/quick";
import { changePassword, logoutEverywhere } from "../auth/account";
import { MAX_PASSWORD_LENGTH } from "../auth/password-rules";
import { webCryptoHasher } from "../auth/passwords";
import { requireAccessToken } from "../auth/require-access-token";
import { throttlePasswordChange } from "../auth/throttle";
import { systemClock } from "../auth/tokens";
import { readFields } from "../http/body";
import type { AppEnv } from "../http/context";
import { form, requiredText, validate } from "../http/fields";
import { otherMethods } from "../http/methods";

const MAX_OLD_PASSWORD_LENGTH = 1024;

export const passwordChangeSchema = form({
  old_password: requiredText(MAX_OLD_PASSWORD_LENGTH),
  new_password: requiredText(MAX_PASSWORD_LENGTH),
});

export const accountRoutes = new Hono<AppEnv>();

accountRoutes.post("/api/logout/all/", requireAccessToken(), async (c) => {
  const { userId } = c.var.auth;

  await logoutEverywhere(c.var.db, userId, systemClock());
  c.var.log.event("info", "auth.logout_everywhere", { user_id: userId });

  return c.json({});
});

accountRoutes.post("/api/password/change/", requireAccessToken(), async (c) => {
  const input = validate(passwordChangeSchema, await readFields(c));
  const change = {
    userId: c.var.auth.userId,
    oldPassword: input.old_password,
    newPassword: input.new_password,
    now: systemClock(),
  };

  const { db, settings, log } = c.var;
  await throttlePasswordChange(db, settings, change.userId, log, change.now);
  await changePassword(db, settings, change, webCryptoHasher);
  c.var.log.event("info", "auth.password_changed", { user_id: change.userId });

  return c.json({});
});

accountRoutes.all("/api/logout/all/", otherMethods(["POST"]));
accountRoutes.all("/api/password/change/", otherMethods(["POST"]));
