// A browser only lets an app read an error it was sent with CORS headers: throttling answers
// and unexpected server errors must carry them too, for an allowed origin.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { BASE, call, uniqueName } from "./helpers";

const ORIGIN = "http://127.0.0.1:5555";

afterEach(() => {
  vi.restoreAllMocks();
});

function login(origin: string, ip = "192.0.2.50") {
  return new Request(`${BASE}/api/token/`, {
    method: "POST",
    headers: { "content-type": "application/json", origin, "cf-connecting-ip": ip },
    body: JSON.stringify({ username: uniqueName(), password: "Wrong-Password-1" }),
  });
}

/** A D1 binding that fails every statement, as an outage would. */
const failingDatabase = {
  prepare() {
    throw new Error("D1 is unavailable");
  },
  batch() {
    throw new Error("D1 is unavailable");
  },
};

describe("CORS headers on error answers", () => {
  it("are on a 429 with Retry-After exposed to the allowed origin's app", async () => {
    const limits = {
      CORS_ALLOWED_ORIGINS: ORIGIN,
      THROTTLE_LOGIN_PER_IP: "1/1m",
      PASSWORD_HASH_ITERATIONS: "1000",
    };
    await call(login(ORIGIN), limits);

    const response = await call(login(ORIGIN), limits);

    expect(response.status).toBe(429);
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(response.headers.get("access-control-expose-headers")).toContain("Retry-After");
  });

  it("are on an unexpected 500, which keeps its JSON shape and request id", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const brokenEnv = { ...env, CORS_ALLOWED_ORIGINS: ORIGIN, DB: failingDatabase };
    const ctx = createExecutionContext();

    const response = await worker.fetch(login(ORIGIN, "192.0.2.51"), brokenEnv as never, ctx);
    await waitOnExecutionContext(ctx);

    expect(response.status).toBe(500);
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ detail: "A server error occurred.", code: "server_error" });
    expect(body.request_id).toBe(response.headers.get("x-request-id"));
  });

  it("are absent from the same 500 for an origin that is not allowed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const brokenEnv = { ...env, CORS_ALLOWED_ORIGINS: ORIGIN, DB: failingDatabase };
    const ctx = createExecutionContext();

    const response = await worker.fetch(
      login("https://elsewhere.example", "192.0.2.52"),
      brokenEnv as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);

    expect(response.status).toBe(500);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS headers when the settings are invalid", () => {
  it("are on the 500 invalid_settings answer for an allowed origin", async () => {
    const broken = { CORS_ALLOWED_ORIGINS: ORIGIN, JWT_SIGNING_KEY: "too-short" };

    const response = await call(login(ORIGIN, "192.0.2.53"), broken);

    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: "invalid_settings" });
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("are absent when the allowed origins themselves are invalid", async () => {
    const broken = { CORS_ALLOWED_ORIGINS: "*" };

    const response = await call(login(ORIGIN, "192.0.2.54"), broken);

    expect(response.status).toBe(500);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
