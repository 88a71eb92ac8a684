// SimpleJWT's token views: obtain a pair, refresh, verify and blacklist (logout).

import { Hono } from "hono/quick";
import { authenticateCredentials } from "../auth/login";
import { webCryptoHasher } from "../auth/passwords";
import {
  logoutRefreshToken,
  issueTokenPair,
  refreshSession,
  verifyAnyToken,
} from "../auth/sessions";
import { resetLoginThrottle, throttleLogin } from "../auth/throttle";
import { systemClock } from "../auth/tokens";
import { MAX_TOKEN_LENGTH } from "../auth/jwt";
import { readFields } from "../http/body";
import type { AppEnv } from "../http/context";
import { form, requiredText, validate } from "../http/fields";
import { otherMethods } from "../http/methods";

/** Longest username or password a login looks at; more is refused before any hashing. */
const MAX_CREDENTIAL_LENGTH = 1024;

export const credentialsSchema = form({
  username: requiredText(MAX_CREDENTIAL_LENGTH),
  password: requiredText(MAX_CREDENTIAL_LENGTH),
});
export const refreshSchema = form({ refresh: requiredText(MAX_TOKEN_LENGTH * 2) });
export const verifySchema = form({ token: requiredText(MAX_TOKEN_LENGTH * 2) });

export const tokenRoutes = new Hono<AppEnv>();

tokenRoutes.post("/api/token/", async (c) => {
  const credentials = validate(credentialsSchema, await readFields(c));

  const { db, settings, log, clientIp } = c.var;
  const attempt = { clientIp, username: credentials.username };
  await throttleLogin(db, settings, attempt, log, systemClock());
  const user = await authenticateCredentials(db, settings, credentials, webCryptoHasher, log);
  // Independent writes, sent together: D1 may be a long round trip away from this edge.
  const [pair] = await Promise.all([
    issueTokenPair(db, settings, user),
    resetLoginThrottle(db, credentials.username),
  ]);

  return c.json({ refresh: pair.refresh, access: pair.access });
});

tokenRoutes.post("/api/token/refresh/", async (c) => {
  const { refresh } = validate(refreshSchema, await readFields(c));

  const result = await refreshSession(c.var.db, c.var.settings, refresh, c.var.log);

  return c.json(result);
});

tokenRoutes.post("/api/token/verify/", async (c) => {
  const { token } = validate(verifySchema, await readFields(c));

  await verifyAnyToken(c.var.db, c.var.settings, token);

  return c.json({});
});

tokenRoutes.post("/api/token/blacklist/", async (c) => {
  const { refresh } = validate(refreshSchema, await readFields(c));

  await logoutRefreshToken(c.var.db, c.var.settings, refresh);

  return c.json({});
});

for (const path of [
  "/api/token/",
  "/api/token/refresh/",
  "/api/token/verify/",
  "/api/token/blacklist/",
]) {
  tokenRoutes.all(path, otherMethods(["POST"]));
}
