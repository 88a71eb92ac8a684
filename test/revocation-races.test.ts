// Revocation that must hold against requests already under way: a sibling refresh token is
// only recorded while its parent is unrevoked, and the old-password check of a password
// change is throttled like a login.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readToken } from "../src/auth/tokens";
import { database } from "../src/db/client";
import { findRefreshToken, recordSiblingToken, revokeFamily } from "../src/db/refresh-tokens";
import { issueTokenPair } from "../src/auth/sessions";
import { endAllSessions, findUserById } from "../src/db/users";
import { loadSettings } from "../src/settings";
import { call, createUserWithHash, loggedInUser, postJson } from "./helpers";

const settings = () => loadSettings(env);

async function ledgerRowOf(refreshToken: string) {
  const claims = await readToken(refreshToken, "refresh", settings());
  const row = await findRefreshToken(database(env.DB), claims.jti);
  if (!row) throw new Error("no ledger row");
  return row;
}

function siblingOf(parent: { userId: number; familyId: string }) {
  const now = Math.floor(Date.now() / 1000);
  const jti = crypto.randomUUID().replace(/-/g, "");
  return {
    jti,
    userId: parent.userId,
    familyId: parent.familyId,
    issuedAt: now,
    expiresAt: now + 3600,
    accessJti: crypto.randomUUID().replace(/-/g, ""),
  };
}

describe("rotation without blacklisting", () => {
  it("records a sibling while its parent is live", async () => {
    const { tokens } = await loggedInUser();
    const parent = await ledgerRowOf(tokens.refresh);
    const child = siblingOf(parent);

    const recorded = await recordSiblingToken(database(env.DB), parent.jti, child);

    expect(recorded).toBe(true);
    expect(await findRefreshToken(database(env.DB), child.jti)).toMatchObject({ revokedAt: null });
  });

  it("records nothing once a logout revoked the parent between the read and the write", async () => {
    const { tokens } = await loggedInUser();
    const parent = await ledgerRowOf(tokens.refresh);
    const child = siblingOf(parent);

    await revokeFamily(database(env.DB), parent.familyId, Math.floor(Date.now() / 1000));
    const recorded = await recordSiblingToken(database(env.DB), parent.jti, child);

    expect(recorded).toBe(false);
    expect(await findRefreshToken(database(env.DB), child.jti)).toBeUndefined();
  });
});

describe("a login racing the end of every session", () => {
  it("records no refresh token when the sessions ended during the password check", async () => {
    const user = await createUserWithHash("pbkdf2_sha256$1000$salt$" + btoa("x".repeat(32)));
    const loadedBeforeTheCheck = await findUserById(database(env.DB), user.id);
    await endAllSessions(database(env.DB), user.id, Math.floor(Date.now() / 1000));

    const issuing = issueTokenPair(database(env.DB), settings(), loadedBeforeTheCheck!);

    await expect(issuing).rejects.toThrow("No active account found with the given credentials");
    const rows = await env.DB.prepare("select count(*) as n from refresh_tokens where user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});

describe("verify in the database check mode", () => {
  it("answers 401 blacklisted for an access token issued before a logout everywhere", async () => {
    const mode = { AUTH_USER_CHECK: "database" };
    const { tokens } = await loggedInUser(mode);
    const bearer = { authorization: `Bearer ${tokens.access}` };
    await call(postJson("/api/logout/all/", {}, bearer), mode);

    const response = await call(postJson("/api/token/verify/", { token: tokens.access }), mode);

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      detail: "Token is blacklisted",
      code: "token_not_valid",
    });
  });
});

describe("password change throttling", () => {
  it("answers 429 with Retry-After once the old-password guesses pass the per-account limit", async () => {
    const limits = { THROTTLE_LOGIN_PER_USERNAME: "2/1m", PASSWORD_HASH_ITERATIONS: "1000" };
    const { tokens } = await loggedInUser(limits);
    const guess = (old: string) =>
      call(
        postJson(
          "/api/password/change/",
          { old_password: old, new_password: "A-Brand-New-Passphrase-7" },
          { authorization: `Bearer ${tokens.access}` },
        ),
        limits,
      );

    const first = await guess("wrong-guess-one");
    const second = await guess("wrong-guess-two");
    const third = await guess("wrong-guess-three");

    expect([first.status, second.status]).toEqual([400, 400]);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await third.json()).toEqual({
      detail: expect.stringMatching(
        /^Request was throttled\. Expected available in \d+ seconds?\.$/,
      ),
    });
  });
});

describe("accounts that must reset their password", () => {
  it("answers an inactive account with the usual failure, not the reset code", async () => {
    const djangoHash = "pbkdf2_sha256$260000$somesalt$" + btoa("x".repeat(32));
    const user = await createUserWithHash(djangoHash, { isActive: false });

    const response = await call(
      postJson("/api/token/", { username: user.username, password: "whatever-it-is" }),
    );

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      detail: "No active account found with the given credentials",
    });
  });

  it("still tells an active account's owner to reset", async () => {
    const djangoHash = "pbkdf2_sha256$260000$somesalt$" + btoa("x".repeat(32));
    const user = await createUserWithHash(djangoHash);

    const response = await call(
      postJson("/api/token/", { username: user.username, password: "whatever-it-is" }),
    );

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "password_reset_required" });
  });
});
