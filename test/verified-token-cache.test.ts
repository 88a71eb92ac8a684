// The per-isolate cache of verified access tokens: what it skips, and every check it must not
// skip (expiry with leeway, other settings, failed tokens, the database user check).

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TokenError } from "../src/errors";
import { buildClaims, readToken, signClaims } from "../src/auth/tokens";
import { VERIFIED_TOKEN_CACHE_SIZE, verifyWithCache } from "../src/auth/verified-token-cache";
import worker from "../src/index";
import { BASE, createUser, expect401, postJson, settingsFor } from "./helpers";

const NOW = 1_900_000_000;

async function accessToken(settings = settingsFor(), issuedAt = NOW) {
  return signClaims(buildClaims({ type: "access", userId: 7, issuedAt }, settings), settings);
}

/** A verifier that counts its calls and checks the token for real at `now`. */
function countingVerifier(token: string, settings: ReturnType<typeof settingsFor>) {
  const counter = { calls: 0 };
  const verify = (now: number) => () => {
    counter.calls++;
    return readToken(token, "access", settings, () => now);
  };
  return { counter, verify };
}

describe("verifyWithCache", () => {
  it("verifies a token once and serves the repeated token from memory", async () => {
    const settings = settingsFor();
    const token = await accessToken(settings);
    const { counter, verify } = countingVerifier(token, settings);

    const first = await verifyWithCache(token, settings, verify(NOW), () => NOW);
    const second = await verifyWithCache(token, settings, verify(NOW + 1), () => NOW + 1);

    expect(second).toEqual(first);
    expect(counter.calls).toBe(1);
  });

  it("sends a remembered token back through verification once it has expired", async () => {
    const settings = settingsFor({ ACCESS_TOKEN_LIFETIME: "60" });
    const token = await accessToken(settings);
    const { counter, verify } = countingVerifier(token, settings);
    await verifyWithCache(token, settings, verify(NOW), () => NOW);

    const expired = verifyWithCache(token, settings, verify(NOW + 60), () => NOW + 60);

    await expect(expired).rejects.toMatchObject({ refusal: "invalid", detail: "expired" });
    expect(counter.calls).toBe(2);
  });

  it("keeps serving a remembered token within the leeway and re-checks it after", async () => {
    const settings = settingsFor({ ACCESS_TOKEN_LIFETIME: "60", JWT_LEEWAY: "30" });
    const token = await accessToken(settings);
    const { counter, verify } = countingVerifier(token, settings);
    await verifyWithCache(token, settings, verify(NOW), () => NOW);

    await verifyWithCache(token, settings, verify(NOW + 89), () => NOW + 89);
    const late = verifyWithCache(token, settings, verify(NOW + 90), () => NOW + 90);

    await expect(late).rejects.toBeInstanceOf(TokenError);
    expect(counter.calls).toBe(2);
  });

  it("never serves a token remembered under other settings", async () => {
    const settings = settingsFor();
    const other = settingsFor({ AUDIENCE: "another-service" });
    const token = await accessToken(settings);
    await verifyWithCache(token, settings, () => readToken(token, "access", settings, () => NOW));

    const underOther = verifyWithCache(token, other, () =>
      readToken(token, "access", other, () => NOW),
    );

    await expect(underOther).rejects.toMatchObject({ detail: "wrong audience" });
  });

  it("never remembers a token whose verification failed", async () => {
    const settings = settingsFor();
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new TokenError("invalid", "bad signature"));
    };

    await expect(verifyWithCache("a.b.c", settings, failing)).rejects.toBeInstanceOf(TokenError);
    await expect(verifyWithCache("a.b.c", settings, failing)).rejects.toBeInstanceOf(TokenError);

    expect(calls).toBe(2);
  });

  it("forgets the oldest token once it holds its maximum", async () => {
    const settings = settingsFor({ ISSUER: "cache-size-test" });
    const claims = buildClaims({ type: "access", userId: 7, issuedAt: NOW }, settings);
    const verified = () => Promise.resolve({ ...claims });
    for (let index = 0; index <= VERIFIED_TOKEN_CACHE_SIZE; index++) {
      await verifyWithCache(`token-${index}`, settings, verified, () => NOW);
    }
    let calls = 0;
    const counting = () => {
      calls++;
      return verified();
    };

    await verifyWithCache(`token-${VERIFIED_TOKEN_CACHE_SIZE}`, settings, counting, () => NOW);
    await verifyWithCache("token-0", settings, counting, () => NOW);

    expect(calls).toBe(1);
  });

  it("hands out claims that no request can change for the next", async () => {
    const settings = settingsFor();
    const token = await accessToken(settings);
    await verifyWithCache(token, settings, () => readToken(token, "access", settings, () => NOW));

    const claims = await verifyWithCache(
      token,
      settings,
      () => Promise.reject(new Error()),
      () => NOW,
    );

    expect(Object.isFrozen(claims)).toBe(true);
  });
});

describe("GET /api/restricted/ with a remembered token in the database user-check mode", () => {
  // One env object for every call, as in production, so the Worker's cache is really used.
  const databaseEnv = { ...env, AUTH_USER_CHECK: "database" };

  async function send(request: Request) {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, databaseEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  function restricted(access: string) {
    return new Request(`${BASE}/api/restricted/`, {
      headers: { authorization: `Bearer ${access}` },
    });
  }

  async function rememberedAccess() {
    const user = await createUser();
    const login = await send(
      postJson("/api/token/", { username: user.username, password: user.password }),
    );
    const { access } = (await login.json()) as { access: string };
    expect((await send(restricted(access))).status).toBe(200);
    return { user, access };
  }

  it("refuses the token once every session of its user has ended", async () => {
    const { access } = await rememberedAccess();
    const logout = new Request(`${BASE}/api/logout/all/`, {
      method: "POST",
      headers: { authorization: `Bearer ${access}` },
    });
    expect((await send(logout)).status).toBeLessThan(300);

    const response = await send(restricted(access));

    expect(await expect401(response)).toMatchObject({ code: "token_not_valid" });
  });

  it("refuses the token once its user is deactivated", async () => {
    const { user, access } = await rememberedAccess();
    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user.id).run();

    const response = await send(restricted(access));

    expect(await expect401(response)).toEqual({
      detail: "User is inactive",
      code: "user_inactive",
    });
  });

  it("still grants the token to an active user", async () => {
    const { access } = await rememberedAccess();

    const response = await send(restricted(access));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: "You have access to this restricted content.",
    });
  });
});
