// Access and refresh tokens as SimpleJWT issues them, and the claim checks it applies, in its
// order (exp, then jti, then token_type), plus the stricter checks it lacks (iat, nbf, types).

import { TokenError } from "../errors";
import type { Settings } from "../settings";
import { loadKeyring, signJwt, verifyJwt, type Keyring } from "./jwt";

export type TokenType = "access" | "refresh";

export interface TokenClaims {
  token_type: TokenType;
  exp: number;
  iat: number;
  jti: string;
  user_id: number;
  iss?: string;
  aud?: string;
  /** The user's session version when issued; only checked in the `database` user-check mode. */
  session_version?: number;
}

/** Seconds since the epoch; injectable so tests can stand anywhere in time. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** A fresh token id: a uuid4 without dashes, as SimpleJWT makes them. */
export function newJti(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

const keyringsBySettings = new WeakMap<Settings, Promise<Keyring>>();

/** The keyring for these settings, looked up once per settings object (once per isolate). */
export function keyringFor(settings: Settings): Promise<Keyring> {
  let keyring = keyringsBySettings.get(settings);
  if (!keyring) {
    keyring = loadKeyring(settings.signingKey, settings.verifyingKeys);
    keyringsBySettings.set(settings, keyring);
  }
  return keyring;
}

export interface MintOptions {
  type: TokenType;
  userId: number;
  issuedAt: number;
  jti?: string;
  sessionVersion?: number;
}

/** Builds the claims of a token; the same inputs always give the same claims. */
export function buildClaims(options: MintOptions, settings: Settings): TokenClaims {
  const lifetime =
    options.type === "access" ? settings.accessTokenLifetime : settings.refreshTokenLifetime;
  const claims: TokenClaims = {
    token_type: options.type,
    exp: options.issuedAt + lifetime,
    iat: options.issuedAt,
    jti: options.jti ?? newJti(),
    user_id: options.userId,
  };

  if (settings.issuer) claims.iss = settings.issuer;
  if (settings.audience) claims.aud = settings.audience;
  if (options.sessionVersion !== undefined) claims.session_version = options.sessionVersion;
  return claims;
}

/** Signs claims with the current signing key. */
export async function signClaims(claims: TokenClaims, settings: Settings): Promise<string> {
  return signJwt(claims, await keyringFor(settings));
}

/**
 * Verifies a token's signature and claims. `expected` is the type the endpoint takes, or "any".
 * Throws TokenError with SimpleJWT's refusal for the first check that fails.
 */
export async function readToken(
  token: string,
  expected: TokenType | "any",
  settings: Settings,
  now: Clock = systemClock,
): Promise<TokenClaims> {
  const payload = await verifyJwt(token, await keyringFor(settings));
  const time = now();

  checkExpiry(payload, time, settings.leeway);
  checkTimes(payload, time, settings.leeway);
  if (!("jti" in payload)) throw new TokenError("no_id");
  if (typeof payload.jti !== "string" || !/^[0-9a-f]{32}$/.test(payload.jti)) {
    throw new TokenError("invalid", "bad jti");
  }
  checkType(payload, expected);
  checkIssuerAndAudience(payload, settings);
  checkUserId(payload);
  checkSessionVersion(payload);

  return payload as unknown as TokenClaims;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function checkExpiry(payload: Record<string, unknown>, now: number, leeway: number): void {
  if (!("exp" in payload)) throw new TokenError("no_exp");
  if (!isNumericDate(payload.exp)) throw new TokenError("invalid", "exp is not a number");
  if (payload.exp + leeway <= now) throw new TokenError("invalid", "expired");
}

function checkTimes(payload: Record<string, unknown>, now: number, leeway: number): void {
  for (const claim of ["iat", "nbf"] as const) {
    if (!(claim in payload)) continue;

    const value = payload[claim];
    if (!isNumericDate(value)) throw new TokenError("invalid", `${claim} is not a number`);
    if (value - leeway > now) throw new TokenError("invalid", `${claim} is in the future`);
  }
}

function checkType(payload: Record<string, unknown>, expected: TokenType | "any"): void {
  if (!("token_type" in payload)) throw new TokenError("no_type");

  const type = payload.token_type;
  if (type !== "access" && type !== "refresh") throw new TokenError("wrong_type");
  if (expected !== "any" && type !== expected) throw new TokenError("wrong_type");
}

function checkIssuerAndAudience(payload: Record<string, unknown>, settings: Settings): void {
  if (settings.issuer && payload.iss !== settings.issuer) {
    throw new TokenError("invalid", "wrong issuer");
  }
  if (!settings.audience) return;

  // RFC 7519 section 4.1.3: aud is a string or an array of strings.
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audience.includes(settings.audience)) throw new TokenError("invalid", "wrong audience");
}

function checkUserId(payload: Record<string, unknown>): void {
  const userId = payload.user_id;
  if (!Number.isSafeInteger(userId) || (userId as number) < 1) throw new TokenError("no_user");
}

function checkSessionVersion(payload: Record<string, unknown>): void {
  if (!("session_version" in payload)) return;

  const version = payload.session_version;
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw new TokenError("invalid", "bad session_version");
  }
}
