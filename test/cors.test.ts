import { describe, expect, it } from "vitest";
import {
  BASE,
  call,
  createUser,
  expect401,
  get,
  loggedInUser,
  login,
  postForm,
  postJson,
} from "./helpers";

const ALLOWED = "http://127.0.0.1:5555";
const overrides = { CORS_ALLOWED_ORIGINS: ALLOWED };

function preflight(path: string, origin: string, method = "POST", headers = "content-type") {
  return new Request(BASE + path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": headers,
    },
  });
}

function withOrigin(request: Request, origin = ALLOWED): Request {
  const copy = new Request(request);
  copy.headers.set("origin", origin);
  return copy;
}

function corsHeaderNames(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

function expectCorsFor(response: Response, origin = ALLOWED) {
  expect(response.headers.get("access-control-allow-origin")).toBe(origin);
  expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
}

describe("preflight requests", () => {
  it("answers 204 with the allowed headers, methods and max-age for an allowed origin", async () => {
    const request = preflight("/api/restricted/", ALLOWED, "GET", "authorization");

    const response = await call(request, overrides);

    expect(response.status).toBe(204);
    expectCorsFor(response);
    const allowHeaders = response.headers.get("access-control-allow-headers")!.toLowerCase();
    expect(allowHeaders.split(",")).toEqual(["authorization", "content-type"]);
    const methods = response.headers.get("access-control-allow-methods");
    expect(methods).toBe("GET,HEAD,POST,PATCH,DELETE,OPTIONS");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(await response.text()).toBe("");
  });

  it("answers a preflight for a guarded route without running authentication", async () => {
    const response = await call(preflight("/api/logout/all/", ALLOWED), overrides);

    expect(response.status).toBe(204);
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  it.each([
    ["another port", "http://127.0.0.1:5556"],
    ["another scheme", "https://127.0.0.1:5555"],
    ["another host", "http://evil.example"],
    ["an opaque origin", "null"],
  ])("gives no Access-Control-* header to %s", async (_label, origin) => {
    const response = await call(preflight("/api/token/", origin), overrides);

    expect(response.status).toBe(200);
    expect(corsHeaderNames(response)).toEqual([]);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("gives no Access-Control-* header when no origin is configured", async () => {
    const response = await call(preflight("/api/token/", ALLOWED));

    expect(response.status).toBe(200);
    expect(corsHeaderNames(response)).toEqual([]);
  });
});

describe("CORS headers on answers", () => {
  it("adds them to a successful login for an allowed origin", async () => {
    const user = await createUser();
    const request = postJson("/api/token/", { username: user.username, password: user.password });

    const response = await call(withOrigin(request), overrides);

    expect(response.status).toBe(200);
    expectCorsFor(response);
    expect(Object.keys(await response.json()).sort()).toEqual(["access", "refresh"]);
  });

  it("adds them to a 401 from the restricted route, next to WWW-Authenticate", async () => {
    const response = await call(withOrigin(get("/api/restricted/")), overrides);

    const body = await expect401(response);
    expectCorsFor(response);
    expect(body).toEqual({ detail: "Authentication credentials were not provided." });
  });

  it("adds them to a 401 for an invalid token", async () => {
    const request = get("/api/restricted/", "Bearer not.a.token");

    const response = await call(withOrigin(request), overrides);

    const body = await expect401(response);
    expectCorsFor(response);
    expect(body.code).toBe("token_not_valid");
  });

  it("adds them to a 400 validation error", async () => {
    const response = await call(withOrigin(postJson("/api/token/", {})), overrides);

    expect(response.status).toBe(400);
    expectCorsFor(response);
    expect(await response.json()).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
    });
  });

  it("adds them to a 404 for an unknown path", async () => {
    const response = await call(withOrigin(get("/api/nowhere/")), overrides);

    expect(response.status).toBe(404);
    expectCorsFor(response);
    expect(await response.json()).toEqual({ detail: "Not found." });
  });

  it("adds them to a 405 and keeps its Allow header", async () => {
    const response = await call(withOrigin(get("/api/token/")), overrides);

    expect(response.status).toBe(405);
    expectCorsFor(response);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("adds them to a 415 for an unsupported body type", async () => {
    const request = new Request(BASE + "/api/token/", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });

    const response = await call(withOrigin(request), overrides);

    expect(response.status).toBe(415);
    expectCorsFor(response);
  });

  it("adds them to a 413 for a body over the limit", async () => {
    const request = postJson("/api/token/", { username: "x".repeat(20_000), password: "p" });

    const response = await call(withOrigin(request), overrides);

    expect(response.status).toBe(413);
    expectCorsFor(response);
  });

  it("adds none to an answer for a disallowed origin", async () => {
    const request = withOrigin(get("/api/restricted/"), "http://evil.example");

    const response = await call(request, overrides);

    await expect401(response);
    expect(corsHeaderNames(response)).toEqual([]);
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });

  it("adds none to a request without Origin, but still varies on it", async () => {
    const { tokens } = await loggedInUser(overrides);

    const response = await call(get("/api/restricted/", `Bearer ${tokens.access}`), overrides);

    expect(response.status).toBe(200);
    expect(corsHeaderNames(response)).toEqual([]);
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });
});

describe("caching of token answers", () => {
  function expectNoStore(response: Response) {
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
  }

  it("marks a token pair no-store", async () => {
    const user = await createUser();

    const response = await call(
      postForm("/api/token/", { username: user.username, password: user.password }),
    );

    expect(response.status).toBe(200);
    expectNoStore(response);
  });

  it("marks a refreshed token no-store, and the rotated refresh token works", async () => {
    const user = await createUser();
    const tokens = await login(user.username, user.password);

    const response = await call(postForm("/api/token/refresh/", { refresh: tokens.refresh }));
    const rotated = (await response.json()) as { refresh: string };
    const again = await call(postForm("/api/token/refresh/", { refresh: rotated.refresh }));

    expect(response.status).toBe(200);
    expectNoStore(response);
    expect(again.status).toBe(200);
  });

  it("marks errors no-store too", async () => {
    const response = await call(withOrigin(get("/api/restricted/")), overrides);

    await expect401(response);
    expectNoStore(response);
  });
});
