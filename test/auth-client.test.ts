import { describe, expect, it } from "vitest";
import { ApiError, AuthClient, type Session } from "../src/client/auth-client";
import type { Credentials, RestrictedResponse, TokenPair } from "../src/client/api-types";
import { BASE, call, createUser, postJson, type Overrides } from "./helpers";

// No grace window: a refresh token sent twice is treated as reuse and revokes the session.
const NO_GRACE: Overrides = { REFRESH_GRACE_SECONDS: "0" };

/**
 * A client whose requests go to the Worker in this test. It records the paths it sends, the
 * sessions it reports and the token pairs the API issues (which the client itself never shows).
 */
function clientFor(overrides: Overrides = {}) {
  const sent: string[] = [];
  const sessions: (Session | undefined)[] = [];
  const issued: TokenPair[] = [];
  const client = new AuthClient({
    baseUrl: BASE,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      sent.push(path);

      const response = await call(request, overrides);
      if (path === "/api/token/" && response.ok) issued.push(await response.clone().json());
      return response;
    },
    onSessionChange: (session) => sessions.push(session),
  });
  return { client, sent, sessions, issued };
}

function credentials(user: { username: string; password: string }): Credentials {
  return { username: user.username, password: user.password };
}

/** Waits until a token issued now with a one-second lifetime has expired. */
function waitForExpiry() {
  return new Promise((resolve) => setTimeout(resolve, 2100));
}

/**
 * A client logged in with a one-second access token that has since expired. Tokens issued
 * afterwards live five minutes, so a retry cannot meet an expired token of its own.
 */
async function clientWithExpiredAccessToken() {
  const user = await createUser();
  const overrides = { ...NO_GRACE, ACCESS_TOKEN_LIFETIME: "1" };
  const setup = clientFor(overrides);
  const session = await setup.client.login(credentials(user));

  await waitForExpiry();
  overrides.ACCESS_TOKEN_LIFETIME = "300";
  return { ...setup, session };
}

const RESTRICTED = { message: "You have access to this restricted content." };

describe("AuthClient", () => {
  it("logs in and calls a guarded route with the access token", async () => {
    const user = await createUser();
    const { client, sent } = clientFor();

    const session = await client.login(credentials(user));
    const answer = await client.getJson<RestrictedResponse>("/api/restricted/");

    expect(answer).toEqual(RESTRICTED);
    expect(session.accessClaims).toMatchObject({ token_type: "access", user_id: user.id });
    expect(session.accessExpiresAt.getTime()).toBe(session.accessClaims.exp * 1000);
    expect(sent).toEqual(["/api/token/", "/api/restricted/"]);
  });

  it("throws ApiError with the API's body when the credentials are wrong", async () => {
    const user = await createUser();
    const { client } = clientFor();

    const failure = await client
      .login({ ...credentials(user), password: "wrong" })
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({
      status: 401,
      body: { detail: "No active account found with the given credentials" },
    });
    expect(client.session).toBeUndefined();
  });

  it("refreshes once and retries when the access token has expired", async () => {
    const { client, sent, session: first } = await clientWithExpiredAccessToken();

    const answer = await client.getJson<RestrictedResponse>("/api/restricted/");

    expect(answer).toEqual(RESTRICTED);
    expect(sent).toEqual([
      "/api/token/",
      "/api/restricted/",
      "/api/token/refresh/",
      "/api/restricted/",
    ]);
    expect(client.session?.accessClaims.jti).not.toBe(first.accessClaims.jti);
  });

  it("shares one refresh between concurrent callers, so the rotation never races", async () => {
    const { client, sent } = await clientWithExpiredAccessToken();

    const answers = await Promise.all(
      [1, 2, 3].map(() => client.getJson<RestrictedResponse>("/api/restricted/")),
    );

    expect(answers).toEqual([RESTRICTED, RESTRICTED, RESTRICTED]);
    expect(sent.filter((path) => path === "/api/token/refresh/")).toHaveLength(1);
  });

  it("keeps the rotated refresh token and refreshes with it next time", async () => {
    const user = await createUser();
    const { client } = clientFor(NO_GRACE);
    const atLogin = await client.login(credentials(user));

    const first = await client.refresh();
    const second = await client.refresh();

    // With no grace window, sending the retired token again would revoke the session.
    expect(first?.refreshClaims.jti).not.toBe(atLogin.refreshClaims.jti);
    expect(second?.refreshClaims.jti).not.toBe(first?.refreshClaims.jti);
  });

  it("signs out and returns the first 401 when the refresh token is refused", async () => {
    const user = await createUser();
    const { client, sessions } = clientFor({
      ...NO_GRACE,
      ACCESS_TOKEN_LIFETIME: "1",
      REFRESH_TOKEN_LIFETIME: "1",
    });
    await client.login(credentials(user));
    await waitForExpiry();

    const response = await client.fetch("/api/restricted/");

    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("token_not_valid");
    expect(client.session).toBeUndefined();
    expect(sessions.at(-1)).toBeUndefined();
  });

  it("revokes the refresh token on logout and forgets both tokens", async () => {
    const user = await createUser();
    const { client, issued } = clientFor();
    await client.login(credentials(user));

    await client.logout();
    const answer = await client.fetch("/api/restricted/");
    const reuse = await call(postJson("/api/token/refresh/", { refresh: issued[0]!.refresh }));

    expect(client.session).toBeUndefined();
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({
      detail: "Authentication credentials were not provided.",
    });
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });
  });
});
