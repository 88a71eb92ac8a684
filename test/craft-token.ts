// Hand-made tokens for negative tests: any header and payload, encoded as given and signed
// with the test signing key through Web Crypto, so only the rule under test is broken.

import { env } from "cloudflare:workers";
import { encodeBase64Url, encodeBase64UrlText } from "../src/auth/base64url";
import { newJti } from "../src/auth/tokens";

export const STANDARD_HEADER = { alg: "HS256", typ: "JWT" };

/** A segment holding this value's JSON, or the text itself when given a string. */
export function segment(value: unknown): string {
  return encodeBase64UrlText(typeof value === "string" ? value : JSON.stringify(value));
}

/** The HS256 signature segment of `header.payload` under `key`. */
export async function signature(signingInput: string, key = env.JWT_SIGNING_KEY): Promise<string> {
  const raw = new TextEncoder().encode(key);
  const hmac = { name: "HMAC", hash: "SHA-256" };
  const cryptoKey = await crypto.subtle.importKey("raw", raw, hmac, false, ["sign"]);

  const signed = await crypto.subtle.sign(
    "HMAC",
    cryptoKey,
    new TextEncoder().encode(signingInput),
  );
  return encodeBase64Url(new Uint8Array(signed));
}

/** Signs two already encoded segments as they are. */
export async function signSegments(header: string, payload: string, key?: string) {
  return `${header}.${payload}.${await signature(`${header}.${payload}`, key)}`;
}

/** A token with this header and payload (objects, or raw JSON text), correctly signed. */
export async function craftToken(header: unknown, payload: unknown, key?: string) {
  return signSegments(segment(header), segment(payload), key);
}

/** Access-token claims valid at `now`, with fields replaced or (as undefined) removed. */
export function accessClaims(
  overrides: Record<string, unknown> = {},
  now = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    token_type: "access",
    exp: now + 300,
    iat: now,
    jti: newJti(),
    user_id: 1,
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[name];
  }
  return claims;
}

/** Refresh-token claims valid at `now`, with the same overrides as `accessClaims`. */
export function refreshClaims(
  overrides: Record<string, unknown> = {},
  now = Math.floor(Date.now() / 1000),
) {
  return accessClaims({ token_type: "refresh", exp: now + 86400, ...overrides }, now);
}
