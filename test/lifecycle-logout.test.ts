import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createUser, expect401, loggedInUser, login, postJson } from "./helpers";
import {
  claimsOf,
  familyRows,
  ledgerRow,
  logout,
  mintToken,
  postAuthorized,
  refresh,
  restricted,
  verify,
} from "./lifecycle-helpers";

const BLACKLISTED = { detail: "Token is blacklisted", code: "token_not_valid" };
const DATABASE = { AUTH_USER_CHECK: "database" };
const NEW_PASSWORD = "Another-Staple-Horse-41";

type Pair = { access: string; refresh: string };

async function rotate(token: string, overrides = {}): Promise<Pair> {
  const response = await refresh(token, overrides);
  if (response.status !== 200) throw new Error(`refresh failed: ${response.status}`);
  return (await response.json()) as Pair;
}

function logoutEverywhere(access: string, overrides = {}) {
  return call(postAuthorized("/api/logout/all/", access), overrides);
}

function changePassword(access: string, body: unknown, overrides = {}) {
  return call(postAuthorized("/api/password/change/", access, body), overrides);
}

describe("logout (POST /api/token/blacklist/)", () => {
  it("answers 200 {} and the token can no longer refresh", async () => {
    const { tokens } = await loggedInUser();

    const response = await logout(tokens.refresh);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await expect401(await refresh(tokens.refresh))).toEqual(BLACKLISTED);
    expect((await ledgerRow(tokens.refresh))?.revoked_at).not.toBeNull();
  });

  it("ends the token's whole family, including tokens it still had alive", async () => {
    const { tokens } = await loggedInUser();
    const keepOld = { BLACKLIST_AFTER_ROTATION: "false" };
    const sibling = await rotate(tokens.refresh, keepOld);

    const response = await logout(sibling.refresh);

    expect(response.status).toBe(200);
    expect(await expect401(await refresh(tokens.refresh, keepOld))).toEqual(BLACKLISTED);
    expect(await expect401(await refresh(sibling.refresh, keepOld))).toEqual(BLACKLISTED);
  });

  it("ends the newest token of the family when an older, rotated one is logged out", async () => {
    const { tokens } = await loggedInUser();
    const newest = await rotate(tokens.refresh);

    const response = await logout(tokens.refresh);

    expect(await expect401(response)).toEqual(BLACKLISTED);
    expect(await expect401(await refresh(newest.refresh))).toEqual(BLACKLISTED);
  });

  it("leaves the user's other logins refreshing", async () => {
    const user = await createUser();
    const phone = await login(user.username, user.password);
    const laptop = await login(user.username, user.password);

    await logout(phone.refresh);

    expect((await refresh(laptop.refresh)).status).toBe(200);
  });

  it("answers 401 blacklisted when the same token logs out twice", async () => {
    const { tokens } = await loggedInUser();
    await logout(tokens.refresh);

    const again = await logout(tokens.refresh);

    expect(await expect401(again)).toEqual(BLACKLISTED);
  });

  it("answers 401 invalid or expired for an expired refresh token", async () => {
    const user = await createUser();
    const expired = await mintToken(user.id, "refresh", 2 * 86400);

    const response = await logout(expired);

    expect(await expect401(response)).toEqual({
      detail: "Token is invalid or expired",
      code: "token_not_valid",
    });
  });

  it("answers 401 wrong type for an access token", async () => {
    const { tokens } = await loggedInUser();

    const response = await logout(tokens.access);

    expect(await expect401(response)).toEqual({
      detail: "Token has wrong type",
      code: "token_not_valid",
    });
    expect((await refresh(tokens.refresh)).status).toBe(200);
  });

  it("answers 400 in DRF's shape for a missing, blank or null field", async () => {
    const cases: [unknown, string][] = [
      [{}, "This field is required."],
      [{ refresh: "" }, "This field may not be blank."],
      [{ refresh: null }, "This field may not be null."],
    ];

    for (const [body, message] of cases) {
      const response = await call(postJson("/api/token/blacklist/", body));

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ refresh: [message] });
    }
  });

  it("answers 401, never 500, for garbage in the refresh field", async () => {
    for (const token of ["garbage", "a.b.c", "e30.e30.e30", "x".repeat(5000)]) {
      const response = await logout(token);

      expect(response.status).toBe(401);
      expect((await response.json()) as object).toMatchObject({ code: "token_not_valid" });
    }
  });

  it("answers verify with 401 blacklisted for a logged-out token", async () => {
    const { tokens } = await loggedInUser();
    await logout(tokens.refresh);

    const response = await verify(tokens.refresh);

    expect(await expect401(response)).toEqual(BLACKLISTED);
  });

  it("leaves the session's access token working until it expires, in the default mode", async () => {
    const { tokens } = await loggedInUser();

    await logout(tokens.refresh);

    expect((await restricted(tokens.access)).status).toBe(200);
  });

  it("leaves the session's access token working in the database mode too", async () => {
    const { tokens } = await loggedInUser(DATABASE);

    await logout(tokens.refresh, DATABASE);

    expect((await restricted(tokens.access, DATABASE)).status).toBe(200);
  });
});

describe("logout everywhere (POST /api/logout/all/)", () => {
  it("answers 200 {} and stops every refresh token of the user, leaving other users alone", async () => {
    const user = await createUser();
    const logins = await Promise.all([1, 2, 3].map(() => login(user.username, user.password)));
    const rotated = await rotate(logins[2]!.refresh);
    const other = await loggedInUser();

    const response = await logoutEverywhere(logins[0]!.access);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    for (const token of [logins[0]!.refresh, logins[1]!.refresh, rotated.refresh]) {
      expect(await expect401(await refresh(token))).toEqual(BLACKLISTED);
    }
    expect((await refresh(other.tokens.refresh)).status).toBe(200);
    const rows = await env.DB.prepare(
      "select count(*) as live from refresh_tokens where user_id = ? and revoked_at is null",
    )
      .bind(user.id)
      .first("live");
    expect(rows).toBe(0);
  });

  it("leaves access tokens working until they expire in the default mode", async () => {
    const { tokens } = await loggedInUser();

    await logoutEverywhere(tokens.access);

    expect((await restricted(tokens.access)).status).toBe(200);
  });

  it("refuses older access tokens, also those from a refresh, in the database mode", async () => {
    const { user, tokens } = await loggedInUser(DATABASE);
    const refreshed = await rotate(tokens.refresh, DATABASE);
    expect((await restricted(refreshed.access, DATABASE)).status).toBe(200);

    const response = await logoutEverywhere(tokens.access, DATABASE);

    expect(response.status).toBe(200);
    for (const access of [tokens.access, refreshed.access]) {
      expect(await expect401(await restricted(access, DATABASE))).toEqual({
        detail: "Given token not valid for any token type",
        code: "token_not_valid",
        messages: [
          { token_class: "AccessToken", token_type: "access", message: "Token is blacklisted" },
        ],
      });
    }
    const fresh = await login(user.username, user.password, DATABASE);
    expect((await restricted(fresh.access, DATABASE)).status).toBe(200);
    expect((await rotate(fresh.refresh, DATABASE)).access).toBeTruthy();
  });

  it("answers 401 without an access token, and with a refresh token as the bearer", async () => {
    const { tokens } = await loggedInUser();

    const none = await call(postJson("/api/logout/all/", {}));
    const wrong = await logoutEverywhere(tokens.refresh);

    expect(await expect401(none)).toEqual({
      detail: "Authentication credentials were not provided.",
    });
    expect(await expect401(wrong)).toMatchObject({ code: "token_not_valid" });
    expect((await refresh(tokens.refresh)).status).toBe(200);
  });
});

describe("password change (POST /api/password/change/)", () => {
  it("answers 400 for a wrong old password and changes nothing", async () => {
    const { user, tokens } = await loggedInUser();

    const response = await changePassword(tokens.access, {
      old_password: "not-the-password",
      new_password: NEW_PASSWORD,
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      old_password: ["Your old password was entered incorrectly. Please enter it again."],
    });
    expect((await refresh(tokens.refresh)).status).toBe(200);
    await expect(login(user.username, user.password)).resolves.toBeTruthy();
  });

  it("answers 400 with the registration rules' messages for a weak new password", async () => {
    const { user, tokens } = await loggedInUser();

    const short = await changePassword(tokens.access, {
      old_password: user.password,
      new_password: "1234567",
    });
    const similar = await changePassword(tokens.access, {
      old_password: user.password,
      new_password: user.username,
    });

    expect(short.status).toBe(400);
    expect(await short.json()).toEqual({
      new_password: [
        "This password is too short. It must contain at least 8 characters.",
        "This password is entirely numeric.",
      ],
    });
    expect(similar.status).toBe(400);
    expect(await similar.json()).toEqual({
      new_password: ["The password is too similar to the username."],
    });
    expect((await refresh(tokens.refresh)).status).toBe(200);
  });

  it("answers 400 naming each missing field", async () => {
    const { tokens } = await loggedInUser();

    const response = await changePassword(tokens.access, {});

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      old_password: ["This field is required."],
      new_password: ["This field is required."],
    });
  });

  it("answers 200 {}, revokes every refresh token and swaps the passwords at once", async () => {
    const user = await createUser();
    const first = await login(user.username, user.password);
    const second = await login(user.username, user.password);

    const response = await changePassword(first.access, {
      old_password: user.password,
      new_password: NEW_PASSWORD,
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    for (const token of [first.refresh, second.refresh]) {
      expect(await expect401(await refresh(token))).toEqual(BLACKLISTED);
    }
    await expect(login(user.username, NEW_PASSWORD)).resolves.toBeTruthy();
    const old = await call(
      postJson("/api/token/", { username: user.username, password: user.password }),
    );
    expect(await expect401(old)).toEqual({
      detail: "No active account found with the given credentials",
    });
  });

  it("refuses access tokens issued before the change in the database mode", async () => {
    const { user, tokens } = await loggedInUser(DATABASE);

    const response = await changePassword(
      tokens.access,
      { old_password: user.password, new_password: NEW_PASSWORD },
      DATABASE,
    );

    expect(response.status).toBe(200);
    expect((await expect401(await restricted(tokens.access, DATABASE))).code).toBe(
      "token_not_valid",
    );
    const fresh = await login(user.username, NEW_PASSWORD, DATABASE);
    expect((await restricted(fresh.access, DATABASE)).status).toBe(200);
  });

  it("answers 401 without an access token", async () => {
    const response = await call(
      postJson("/api/password/change/", { old_password: "a", new_password: NEW_PASSWORD }),
    );

    expect(await expect401(response)).toEqual({
      detail: "Authentication credentials were not provided.",
    });
  });
});

describe("deactivated and deleted users", () => {
  it("stops refreshing at once with 401 when the user is deactivated", async () => {
    const { user, tokens } = await loggedInUser();

    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user.id).run();

    expect(await expect401(await refresh(tokens.refresh))).toEqual({
      detail: "No active account found for the given token.",
      code: "no_active_account",
    });
    expect((await ledgerRow(tokens.refresh))?.retired_at).toBeNull();
  });

  it("stops refreshing at once with 401 when the user is deleted, its rows going with it", async () => {
    const { user, tokens } = await loggedInUser();
    const familyId = (await ledgerRow(tokens.refresh))!.family_id;

    await env.DB.prepare("delete from users where id = ?").bind(user.id).run();

    expect(await familyRows(familyId)).toEqual([]);
    expect(await expect401(await refresh(tokens.refresh))).toEqual(BLACKLISTED);
    expect(await expect401(await verify(tokens.refresh))).toEqual(BLACKLISTED);
    expect((await logout(tokens.refresh)).status).toBe(200);
  });

  it("refuses a deleted user's access token in the database mode, never with a 500", async () => {
    const { user, tokens } = await loggedInUser(DATABASE);

    await env.DB.prepare("delete from users where id = ?").bind(user.id).run();

    expect(await expect401(await restricted(tokens.access, DATABASE))).toEqual({
      detail: "User not found",
      code: "user_not_found",
    });
    expect(await expect401(await logoutEverywhere(tokens.access))).toEqual({
      detail: "User not found",
      code: "user_not_found",
    });
    expect(claimsOf(tokens.access).user_id).toBe(user.id);
  });
});
