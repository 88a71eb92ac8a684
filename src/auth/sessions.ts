// Refresh-token sessions: issuing a pair at login, rotating on refresh with reuse detection,
// logging out, and checking a token for the verify endpoint. The ledger is in D1.

import { AuthenticationError, TokenError } from "../errors";
import { requireActiveUser } from "./account";
import { NO_ACTIVE_ACCOUNT } from "./login";
import type { Database } from "../db/client";
import {
  findRefreshToken,
  recordLoginToken,
  recordSiblingToken,
  revokeFamily,
  revokeForLogout,
  rotateRefreshToken,
  type NewRefreshToken,
} from "../db/refresh-tokens";
import type { RefreshTokenRow, User } from "../db/schema";
import { findUserById } from "../db/users";
import type { RequestLog } from "../log";
import type { Settings } from "../settings";
import {
  buildClaims,
  newJti,
  readToken,
  signClaims,
  systemClock,
  type Clock,
  type TokenClaims,
} from "./tokens";

export interface TokenPair {
  access: string;
  refresh: string;
}

/** What a refresh returns: a new access token, and a new refresh token when rotating. */
export interface RefreshResult {
  access: string;
  refresh?: string;
}

export const NO_ACTIVE_ACCOUNT_FOR_TOKEN = "No active account found for the given token.";

function sessionVersionOf(user: User, settings: Settings): number | undefined {
  return settings.userCheck === "database" ? user.sessionVersion : undefined;
}

/** Signs the pair a ledger row describes; the same row always gives the same two strings. */
async function signPair(row: NewRefreshToken, user: User, settings: Settings): Promise<TokenPair> {
  const common = { userId: user.id, issuedAt: row.issuedAt };
  const sessionVersion = sessionVersionOf(user, settings);

  const refresh = buildClaims(
    { ...common, type: "refresh", jti: row.jti, sessionVersion },
    settings,
  );
  refresh.exp = row.expiresAt;
  const access = buildClaims(
    { ...common, type: "access", jti: row.accessJti, sessionVersion },
    settings,
  );

  const [accessToken, refreshToken] = await Promise.all([
    signClaims(access, settings),
    signClaims(refresh, settings),
  ]);
  return { access: accessToken, refresh: refreshToken };
}

function newLedgerRow(userId: number, familyId: string, now: number, settings: Settings) {
  return {
    jti: newJti(),
    userId,
    familyId,
    issuedAt: now,
    expiresAt: now + settings.refreshTokenLifetime,
    accessJti: newJti(),
  } satisfies NewRefreshToken;
}

/**
 * Issues and records a new pair for a user who just logged in: the start of a family. Throws
 * AuthenticationError when the account was deactivated or its sessions ended meanwhile.
 */
export async function issueTokenPair(
  db: Database,
  settings: Settings,
  user: User,
  now: Clock = systemClock,
): Promise<TokenPair> {
  const row = newLedgerRow(user.id, newJti(), now(), settings);

  if (!(await recordLoginToken(db, row, user.sessionVersion))) {
    throw new AuthenticationError(NO_ACTIVE_ACCOUNT);
  }
  return signPair(row, user, settings);
}

/**
 * Reads a refresh token, its ledger row and its user, the two lookups side by side. Throws
 * TokenError when the token or its row is unusable, AuthenticationError when the user is.
 */
async function readRefreshSession(db: Database, token: string, settings: Settings, now: Clock) {
  const claims = await readToken(token, "refresh", settings, now);
  const [row, user] = await Promise.all([
    findRefreshToken(db, claims.jti),
    findUserById(db, claims.user_id),
  ]);

  if (!row || row.userId !== claims.user_id) throw new TokenError("blacklisted", "not in ledger");
  if (row.revokedAt !== null) throw new TokenError("blacklisted", "revoked");
  if (!user || !user.isActive) {
    throw new AuthenticationError(NO_ACTIVE_ACCOUNT_FOR_TOKEN, "no_active_account");
  }
  return { row, user };
}

/**
 * Trades a refresh token for a new access token and, when rotating, a new refresh token.
 * Concurrent refreshes with one token produce one new pair: the first wins the conditional
 * retire, the others get the same pair while inside the grace window. A retired token seen
 * after the window is treated as stolen: its whole family is revoked.
 */
export async function refreshSession(
  db: Database,
  settings: Settings,
  token: string,
  log: RequestLog,
  now: Clock = systemClock,
): Promise<RefreshResult> {
  const { row, user } = await readRefreshSession(db, token, settings, now);

  if (!settings.rotateRefreshTokens) return { access: await accessFor(row, user, settings, now) };
  if (row.retiredAt !== null) return repeatRotation(db, settings, row, user, log, now);

  const child = newLedgerRow(user.id, row.familyId, now(), settings);
  if (!settings.blacklistAfterRotation) {
    if (await recordSiblingToken(db, row.jti, child)) return signPair(child, user, settings);
    throw new TokenError("blacklisted", "revoked");
  }

  if (await rotateRefreshToken(db, row.jti, child, now())) return signPair(child, user, settings);

  // Another request retired this token between our read and our write.
  const latest = await findRefreshToken(db, row.jti);
  if (!latest || latest.revokedAt !== null) throw new TokenError("blacklisted", "revoked");
  return repeatRotation(db, settings, latest, user, log, now);
}

/** A new access token only, for rotation off; a token retired while rotating stays refused. */
async function accessFor(row: RefreshTokenRow, user: User, settings: Settings, now: Clock) {
  if (row.retiredAt !== null) throw new TokenError("blacklisted", "retired");

  const sessionVersion = sessionVersionOf(user, settings);
  const claims = buildClaims(
    { type: "access", userId: user.id, issuedAt: now(), sessionVersion },
    settings,
  );
  return signClaims(claims, settings);
}

/** A retired token again: the same pair inside the grace window, family revocation after it. */
async function repeatRotation(
  db: Database,
  settings: Settings,
  row: RefreshTokenRow,
  user: User,
  log: RequestLog,
  now: Clock,
): Promise<TokenPair> {
  const time = now();
  // A window of 0 seconds means none: any repeat, even within the same second, is reuse.
  const withinGrace = row.retiredAt !== null && time - row.retiredAt < settings.refreshGraceSeconds;
  const child =
    withinGrace && row.replacedBy ? await findRefreshToken(db, row.replacedBy) : undefined;

  if (child && child.retiredAt === null && child.revokedAt === null) {
    return signPair(child, user, settings);
  }

  // Inside the window with the successor already used: a busy client, not proof of theft.
  if (withinGrace) throw new TokenError("blacklisted", "successor already used");

  await revokeFamily(db, row.familyId, time);
  log.event("warn", "auth.refresh_token_reuse", { user_id: user.id, family_id: row.familyId });
  throw new TokenError("blacklisted", "reused");
}

/** Logs out a refresh token: it and its family can no longer refresh. */
export async function logoutRefreshToken(
  db: Database,
  settings: Settings,
  token: string,
  now: Clock = systemClock,
): Promise<void> {
  const claims = await readToken(token, "refresh", settings, now);
  const row = await findRefreshToken(db, claims.jti);

  // A well-signed token missing from the ledger (its user was deleted, or it predates the
  // ledger) can refresh nothing already; SimpleJWT answers 200 for it, and so do we.
  if (!row) return;
  if (!(await revokeForLogout(db, row, now()))) throw new TokenError("blacklisted", "logged out");
}

/**
 * The `database` mode's check of a token's user, as SimpleJWT's JWTAuthentication.get_user
 * makes it, plus the session version that logout-everywhere and password changes bump.
 * Throws AuthenticationError (user_not_found, user_inactive) or TokenError("blacklisted").
 */
export async function checkTokenUser(db: Database, claims: TokenClaims): Promise<User> {
  const user = await requireActiveUser(db, claims.user_id);

  if ((claims.session_version ?? 0) !== user.sessionVersion) {
    throw new TokenError("blacklisted", "session revoked");
  }
  return user;
}

/**
 * The verify endpoint's check: any valid token; a refresh token must also be live, and in
 * the `database` mode an access token's user must pass the same check as on guarded routes.
 */
export async function verifyAnyToken(
  db: Database,
  settings: Settings,
  token: string,
  now: Clock = systemClock,
): Promise<void> {
  const claims = await readToken(token, "any", settings, now);
  if (claims.token_type === "access") {
    if (settings.userCheck === "database") await checkTokenUser(db, claims);
    return;
  }

  const row = await findRefreshToken(db, claims.jti);
  if (!row || row.revokedAt !== null || row.retiredAt !== null) {
    throw new TokenError("blacklisted", "not live");
  }
}
