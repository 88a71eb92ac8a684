// Access tokens minted on the Node side with the benchmark's own key, in the form the Worker
// issues (HS256, kid, SimpleJWT claims), so the load generator can send a fresh one per request.

import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";

/** A random signing key for this run only; it never leaves the scratch folder. */
export function benchSigningKey(): string {
  return randomBytes(48).toString("base64url");
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** Mints access tokens for one key; each call gives a token with a new jti. */
export function accessTokenMinter(key: string, lifetimeSeconds = 3600) {
  const kid = base64url(createHash("sha256").update(key).digest().subarray(0, 9));
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid }));

  return (userId: number, extraClaims: Record<string, number> = {}): string => {
    const issuedAt = Math.floor(Date.now() / 1000);
    const claims = {
      token_type: "access",
      exp: issuedAt + lifetimeSeconds,
      iat: issuedAt,
      jti: randomUUID().replace(/-/g, ""),
      user_id: userId,
      ...extraClaims,
    };
    const input = `${header}.${base64url(JSON.stringify(claims))}`;
    return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
  };
}

/** Reads the payload of a token the Worker issued (no verification: the Worker made it). */
export function tokenPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
}
