// GET /api/restricted/: every answer SimpleJWT's JWTAuthentication gives, in its exact shapes,
// in the stateless mode and in the database user-check mode.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeBase64UrlText } from "../src/auth/base64url";
import { systemClock } from "../src/auth/tokens";
import {
  BASE,
  call,
  createUserWithHash,
  expect401,
  get,
  loggedInUser,
  mintToken,
  type MintRequest,
} from "./helpers";

const GRANTED = { message: "You have access to this restricted content." };
const NOT_PROVIDED = { detail: "Authentication credentials were not provided." };
const BAD_HEADER = {
  detail: "Authorization header must contain two space-delimited values",
  code: "bad_authorization_header",
};
/** Django's way of storing "no password": no login can ever match it. */
const UNUSABLE_HASH = "!no-password";

function tokenRefused(message: string) {
  return {
    detail: "Given token not valid for any token type",
    code: "token_not_valid",
    messages: [{ token_class: "AccessToken", token_type: "access", message }],
  };
}

function withHeader(authorization: string) {
  return new Request(`${BASE}/api/restricted/`, { headers: { authorization } });
}

async function bearer(request: Omit<MintRequest, "userId"> & { userId?: number } = {}) {
  const userId = request.userId ?? (await createUserWithHash(UNUSABLE_HASH)).id;
  return `Bearer ${await mintToken({ ...request, userId })}`;
}

describe("GET /api/restricted/ with a valid access token", () => {
  it("grants access to a token from a real login", async () => {
    const { tokens } = await loggedInUser();

    const response = await call(get("/api/restricted/", `Bearer ${tokens.access}`));

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(GRANTED);
  });

  it("answers HEAD with 200 and no body", async () => {
    const request = new Request(`${BASE}/api/restricted/`, {
      method: "HEAD",
      headers: { authorization: await bearer() },
    });

    const response = await call(request);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("keeps granting a deleted user's token in the stateless mode until it expires", async () => {
    const user = await createUserWithHash(UNUSABLE_HASH);
    const authorization = await bearer({ userId: user.id });

    await env.DB.prepare("delete from users where id = ?").bind(user.id).run();
    const response = await call(withHeader(authorization));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(GRANTED);
  });
});

describe("GET /api/restricted/ without usable credentials", () => {
  it.each([
    ["an empty header", ""],
    ["only spaces", "   "],
    ["the Basic scheme", "Basic YWxpY2U6c2VjcmV0"],
    ["the Token scheme", "Token abc.def.ghi"],
  ])("answers %s as credentials not provided", async (_, authorization) => {
    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(NOT_PROVIDED);
  });

  it("answers a request without an Authorization header as credentials not provided", async () => {
    const response = await call(get("/api/restricted/"));

    expect(await expect401(response)).toEqual(NOT_PROVIDED);
  });

  it("answers HEAD without a token with 401, the challenge and no body", async () => {
    const response = await call(new Request(`${BASE}/api/restricted/`, { method: "HEAD" }));

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(await response.text()).toBe("");
  });

  it.each([
    ["Bearer alone", "Bearer"],
    ["Bearer and a space", "Bearer "],
    ["three parts", "Bearer abc.def.ghi extra"],
  ])("answers %s with bad_authorization_header", async (_, authorization) => {
    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(BAD_HEADER);
  });

  it("refuses a header too long to hold any token without reading it", async () => {
    const response = await call(withHeader(`Bearer ${"a".repeat(10_000)}`));

    expect(await expect401(response)).toEqual(BAD_HEADER);
  });
});

describe("GET /api/restricted/ with a token that is not a valid access token", () => {
  it.each([
    ["not a JWT at all", "not-a-token"],
    ["two segments", "abc.def"],
    ["garbage segments", "a.b.c"],
    ["a JWT with alg none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VyX2lkIjoxfQ."],
  ])("answers a token that is %s as invalid or expired", async (_, token) => {
    const response = await call(withHeader(`Bearer ${token}`));

    expect(await expect401(response)).toEqual(tokenRefused("Token is invalid or expired"));
  });

  it("answers a token signed with another key as invalid or expired", async () => {
    const authorization = await bearer({ signingKey: "another-signing-key-of-at-least-32-bytes" });

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(tokenRefused("Token is invalid or expired"));
  });

  it("answers a token whose claims were edited after signing as invalid or expired", async () => {
    const [header, , signature] = (await bearer()).slice("Bearer ".length).split(".");
    const claims = {
      token_type: "access",
      exp: systemClock() + 300,
      jti: "a".repeat(32),
      user_id: 1,
    };
    const payload = encodeBase64UrlText(JSON.stringify(claims));

    const response = await call(withHeader(`Bearer ${header}.${payload}.${signature}`));

    expect(await expect401(response)).toEqual(tokenRefused("Token is invalid or expired"));
  });

  it("answers an expired token, minted with a past clock, as invalid or expired", async () => {
    const authorization = await bearer({ issuedAt: systemClock() - 301 });

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(tokenRefused("Token is invalid or expired"));
  });

  it("answers a refresh token with wrong type", async () => {
    const authorization = await bearer({ type: "refresh" });

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(tokenRefused("Token has wrong type"));
  });

  it.each([
    ["token_type", "Token has no type"],
    ["jti", "Token has no id"],
    ["exp", "Token has no 'exp' claim"],
  ])("answers a token without %s with SimpleJWT's message", async (claim, message) => {
    const authorization = await bearer({ without: [claim] });

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(tokenRefused(message));
  });

  it("checks the signature before any claim", async () => {
    const authorization = await bearer({
      without: ["token_type", "exp"],
      signingKey: "another-signing-key-of-at-least-32-bytes",
    });

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual(tokenRefused("Token is invalid or expired"));
  });

  it.each([
    ["without user_id", { without: ["user_id"] }],
    ["with a text user_id", { with: { user_id: "7" } }],
    ["with user_id zero", { with: { user_id: 0 } }],
  ])("answers a token %s as carrying no user identification", async (_, change) => {
    const authorization = await bearer(change);

    const response = await call(withHeader(authorization));

    expect(await expect401(response)).toEqual({
      detail: "Token contained no recognizable user identification",
      code: "token_not_valid",
    });
  });
});

describe("GET /api/restricted/ in the database user-check mode", () => {
  const databaseMode = { AUTH_USER_CHECK: "database" };

  it("grants access while the user exists and is active", async () => {
    const authorization = await bearer();

    const response = await call(withHeader(authorization), databaseMode);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(GRANTED);
  });

  it("answers user_not_found once the user row is deleted", async () => {
    const user = await createUserWithHash(UNUSABLE_HASH);
    const authorization = await bearer({ userId: user.id });

    await env.DB.prepare("delete from users where id = ?").bind(user.id).run();
    const response = await call(withHeader(authorization), databaseMode);

    expect(await expect401(response)).toEqual({ detail: "User not found", code: "user_not_found" });
  });

  it("answers user_inactive for a deactivated user", async () => {
    const user = await createUserWithHash(UNUSABLE_HASH);
    const authorization = await bearer({ userId: user.id });

    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user.id).run();
    const response = await call(withHeader(authorization), databaseMode);

    expect(await expect401(response)).toEqual({
      detail: "User is inactive",
      code: "user_inactive",
    });
  });
});

describe("other methods on /api/restricted/", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])(
    "answers %s with 405 and the allowed methods",
    async (method) => {
      const request = new Request(`${BASE}/api/restricted/`, {
        method,
        headers: { authorization: await bearer() },
      });

      const response = await call(request);

      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      expect(await response.json()).toEqual({ detail: `Method "${method}" not allowed.` });
    },
  );
});
