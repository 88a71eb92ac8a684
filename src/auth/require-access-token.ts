// The middleware that guards a route: it requires a valid access token in the Authorization
// header and answers 401 exactly as SimpleJWT's JWTAuthentication does otherwise.

import type { MiddlewareHandler } from "hono";
import { AuthenticationError, TokenError } from "../errors";
import type { Database } from "../db/client";
import type { AppEnv, Authentication } from "../http/context";
import type { Settings } from "../settings";
import { MAX_TOKEN_LENGTH } from "./jwt";
import { checkTokenUser } from "./sessions";
import { readToken, type TokenClaims } from "./tokens";
import { verifyWithCache } from "./verified-token-cache";

/** Longest Authorization header looked at: a scheme, a space and the longest token. */
const MAX_HEADER_LENGTH = MAX_TOKEN_LENGTH + 64;

const NOT_PROVIDED = "Authentication credentials were not provided.";

/**
 * Extracts the raw token from an Authorization header. Returns undefined when the header is
 * absent or uses another scheme (so other authentication could apply); throws when it uses
 * ours but is malformed. Schemes match case-insensitively (RFC 7235 section 2.1).
 */
export function extractBearerToken(header: string | undefined, types: string[]) {
  if (header === undefined) return undefined;
  if (header.length > MAX_HEADER_LENGTH) throw badHeader();

  const parts = header
    .trim()
    .split(/\s+/)
    .filter((part) => part.length > 0);
  const scheme = parts[0]?.toLowerCase();
  if (!scheme || !types.some((type) => type.toLowerCase() === scheme)) return undefined;

  if (parts.length !== 2) throw badHeader();
  return parts[1]!;
}

function badHeader(): AuthenticationError {
  return new AuthenticationError(
    "Authorization header must contain two space-delimited values",
    "bad_authorization_header",
  );
}

/** SimpleJWT's wording for an access token that failed a check. */
function invalidAccessToken(error: TokenError): AuthenticationError {
  if (error.refusal === "no_user") return new AuthenticationError(error.message, "token_not_valid");

  return new AuthenticationError("Given token not valid for any token type", "token_not_valid", {
    messages: [{ token_class: "AccessToken", token_type: "access", message: error.message }],
  });
}

async function readAccessToken(token: string, settings: Settings): Promise<TokenClaims> {
  try {
    return await verifyWithCache(token, settings, () => readToken(token, "access", settings));
  } catch (error) {
    throw error instanceof TokenError ? invalidAccessToken(error) : error;
  }
}

async function checkUser(db: Database, claims: TokenClaims) {
  try {
    return await checkTokenUser(db, claims);
  } catch (error) {
    throw error instanceof TokenError ? invalidAccessToken(error) : error;
  }
}

/** Requires a valid access token; puts what it learnt in `c.get("auth")`. */
export function requireAccessToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const settings = c.get("settings");
    const token = extractBearerToken(c.req.header("authorization"), settings.authHeaderTypes);
    if (token === undefined) throw new AuthenticationError(NOT_PROVIDED);

    const claims = await readAccessToken(token, settings);
    const auth: Authentication = { userId: claims.user_id, claims };
    if (settings.userCheck === "database") auth.user = await checkUser(c.var.db, claims);

    c.set("auth", auth);
    await next();
  };
}
