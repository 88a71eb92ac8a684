// POST /api/token/refresh/ and /api/token/verify/: the answers of SimpleJWT's two token views
// for good tokens, bad tokens and malformed bodies. Rotation races are tested elsewhere.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { issueTokenPair } from "../src/auth/sessions";
import { systemClock } from "../src/auth/tokens";
import { database } from "../src/db/client";
import {
  call,
  createUserWithHash,
  decodeJwt,
  expect401,
  get,
  loggedInUser,
  mintToken,
  postForm,
  postJson,
  settingsFor,
} from "./helpers";

const INVALID = { detail: "Token is invalid or expired", code: "token_not_valid" };
const OTHER_KEY = "another-signing-key-of-at-least-32-bytes";

/** A user with a pair recorded in the ledger, as a login leaves it, without password work. */
async function userWithPair() {
  const user = await createUserWithHash("!no-password");
  const tokens = await issueTokenPair(database(env.DB), settingsFor(), user);
  return { user, tokens };
}

async function expectGranted(access: string) {
  const response = await call(get("/api/restricted/", `Bearer ${access}`));
  expect(response.status).toBe(200);
}

describe("POST /api/token/refresh/ with a valid refresh token", () => {
  it("returns a new access and refresh token while rotation is on", async () => {
    const { user, tokens } = await loggedInUser();

    const response = await call(postJson("/api/token/refresh/", { refresh: tokens.refresh }));

    expect(response.status).toBe(200);
    const body = (await response.json()) as { access: string; refresh: string };
    expect(Object.keys(body).sort()).toEqual(["access", "refresh"]);
    const access = decodeJwt(body.access).payload;
    const refresh = decodeJwt(body.refresh).payload;
    expect(access).toMatchObject({ token_type: "access", user_id: user.id });
    expect(refresh).toMatchObject({ token_type: "refresh", user_id: user.id });
    expect(access.exp).toBe((access.iat as number) + 300);
    expect(refresh.jti).not.toBe(decodeJwt(tokens.refresh).payload.jti);
  });

  it("makes an access token the restricted route accepts", async () => {
    const { tokens } = await userWithPair();

    const response = await call(postForm("/api/token/refresh/", { refresh: tokens.refresh }));
    const body = (await response.json()) as { access: string };

    expect(response.status).toBe(200);
    await expectGranted(body.access);
  });

  it("returns only an access token when ROTATE_REFRESH_TOKENS is false", async () => {
    const { user, tokens } = await userWithPair();
    const noRotation = { ROTATE_REFRESH_TOKENS: "false" };

    const response = await call(
      postJson("/api/token/refresh/", { refresh: tokens.refresh }),
      noRotation,
    );

    expect(response.status).toBe(200);
    const body = (await response.json()) as { access: string };
    expect(Object.keys(body)).toEqual(["access"]);
    expect(decodeJwt(body.access).payload).toMatchObject({
      token_type: "access",
      user_id: user.id,
    });
    await expectGranted(body.access);
  });

  it("lets the same refresh token be used again when rotation is off", async () => {
    const { tokens } = await userWithPair();
    const noRotation = { ROTATE_REFRESH_TOKENS: "false" };
    const request = () => postJson("/api/token/refresh/", { refresh: tokens.refresh });

    const first = await call(request(), noRotation);
    const second = await call(request(), noRotation);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
  });
});

describe("POST /api/token/refresh/ with a token it cannot use", () => {
  it.each([
    ["not a JWT", "not-a-token"],
    ["three garbage segments", "a.b.c"],
  ])("answers a token that is %s as invalid or expired", async (_, refresh) => {
    const response = await call(postJson("/api/token/refresh/", { refresh }));

    expect(await expect401(response)).toEqual(INVALID);
  });

  it("answers a refresh token signed with another key as invalid or expired", async () => {
    const { user } = await userWithPair();
    const refresh = await mintToken({ type: "refresh", userId: user.id, signingKey: OTHER_KEY });

    const response = await call(postJson("/api/token/refresh/", { refresh }));

    expect(await expect401(response)).toEqual(INVALID);
  });

  it("answers an expired refresh token, minted with a past clock, as invalid or expired", async () => {
    const { user } = await userWithPair();
    const issuedAt = systemClock() - 86_401;
    const refresh = await mintToken({ type: "refresh", userId: user.id, issuedAt });

    const response = await call(postJson("/api/token/refresh/", { refresh }));

    expect(await expect401(response)).toEqual(INVALID);
  });

  it("answers an access token with wrong type", async () => {
    const { tokens } = await userWithPair();

    const response = await call(postJson("/api/token/refresh/", { refresh: tokens.access }));

    expect(await expect401(response)).toEqual({
      detail: "Token has wrong type",
      code: "token_not_valid",
    });
  });

  it.each([
    ["token_type", "Token has no type"],
    ["exp", "Token has no 'exp' claim"],
  ])("answers a refresh token without %s with SimpleJWT's detail", async (claim, detail) => {
    const { user } = await userWithPair();
    const refresh = await mintToken({ type: "refresh", userId: user.id, without: [claim] });

    const response = await call(postJson("/api/token/refresh/", { refresh }));

    expect(await expect401(response)).toEqual({ detail, code: "token_not_valid" });
  });
});

describe("POST /api/token/refresh/ with a malformed body", () => {
  it.each([
    ["missing", {}, "This field is required."],
    ["empty", { refresh: "" }, "This field may not be blank."],
    ["null", { refresh: null }, "This field may not be null."],
  ])("answers a %s refresh field with 400", async (_, body, message) => {
    const response = await call(postJson("/api/token/refresh/", body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ refresh: [message] });
  });
});

describe("POST /api/token/verify/", () => {
  it("answers a valid access token with 200 and an empty object", async () => {
    const { tokens } = await userWithPair();

    const response = await call(postJson("/api/token/verify/", { token: tokens.access }));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it("answers a live refresh token from a real login with 200 and an empty object", async () => {
    const { tokens } = await loggedInUser();

    const response = await call(postForm("/api/token/verify/", { token: tokens.refresh }));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it.each([
    ["not a JWT", async () => "not-a-token"],
    ["signed with another key", async () => mintToken({ userId: 1, signingKey: OTHER_KEY })],
    ["expired", async () => mintToken({ userId: 1, issuedAt: systemClock() - 301 })],
  ])("answers a token that is %s as invalid or expired", async (_, makeToken) => {
    const token = await makeToken();

    const response = await call(postJson("/api/token/verify/", { token }));

    expect(await expect401(response)).toEqual(INVALID);
  });

  it.each([
    ["missing", {}, "This field is required."],
    ["empty", { token: "" }, "This field may not be blank."],
    ["only whitespace", { token: "   " }, "This field may not be blank."],
    ["null", { token: null }, "This field may not be null."],
  ])("answers a %s token field with 400", async (_, body, message) => {
    const response = await call(postJson("/api/token/verify/", body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ token: [message] });
  });
});
