// Helpers shared by the refresh-token lifecycle tests: the endpoints as a client calls them,
// reading the ledger straight from D1, and minting tokens with the real signer.

import { env } from "cloudflare:workers";
import { decodeBase64Url } from "../src/auth/base64url";
import { buildClaims, signClaims, systemClock, type TokenType } from "../src/auth/tokens";
import { loadSettings } from "../src/settings";
import { call, get, postJson, type Overrides } from "./helpers";

export interface LedgerRow {
  jti: string;
  user_id: number;
  family_id: string;
  issued_at: number;
  expires_at: number;
  access_jti: string;
  retired_at: number | null;
  replaced_by: string | null;
  revoked_at: number | null;
}

/** The claims of a token, read without verifying it. */
export function claimsOf(token: string): Record<string, unknown> & { jti: string; exp: number } {
  const bytes = decodeBase64Url(token.split(".")[1] ?? "");
  if (!bytes) throw new Error("not a JWT");
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function refresh(token: string, overrides: Overrides = {}) {
  return call(postJson("/api/token/refresh/", { refresh: token }), overrides);
}

export function logout(token: string, overrides: Overrides = {}) {
  return call(postJson("/api/token/blacklist/", { refresh: token }), overrides);
}

export function verify(token: string, overrides: Overrides = {}) {
  return call(postJson("/api/token/verify/", { token }), overrides);
}

export function restricted(access: string, overrides: Overrides = {}) {
  return call(get("/api/restricted/", `Bearer ${access}`), overrides);
}

/** POSTs JSON with a Bearer access token. */
export function postAuthorized(path: string, access: string, body: unknown = {}) {
  return postJson(path, body, { authorization: `Bearer ${access}` });
}

/** The ledger row of a token (by its jti), or null when there is none. */
export function ledgerRow(token: string): Promise<LedgerRow | null> {
  const jti = claimsOf(token).jti;
  return env.DB.prepare("select * from refresh_tokens where jti = ?").bind(jti).first<LedgerRow>();
}

/** Every ledger row of a family. */
export async function familyRows(familyId: string): Promise<LedgerRow[]> {
  const statement = env.DB.prepare("select * from refresh_tokens where family_id = ?");
  return (await statement.bind(familyId).all<LedgerRow>()).results;
}

/** Moves a retired token's retirement `seconds` into the past, as if time had passed. */
export async function ageRetirement(token: string, seconds: number): Promise<void> {
  await env.DB.prepare("update refresh_tokens set retired_at = retired_at - ? where jti = ?")
    .bind(seconds, claimsOf(token).jti)
    .run();
}

/** A token signed with the configured key, issued `secondsAgo` in the past. */
export async function mintToken(userId: number, type: TokenType, secondsAgo = 0) {
  const settings = loadSettings(env);
  const claims = buildClaims({ type, userId, issuedAt: systemClock() - secondsAgo }, settings);
  return signClaims(claims, settings);
}
