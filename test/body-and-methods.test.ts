// What every endpoint answers before it looks at credentials: unsupported or missing content
// types, oversized bodies, unknown paths and methods an endpoint does not take.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BASE, call, mintToken, postJson, uniqueName } from "./helpers";

const BODY_ENDPOINTS = [
  "/api/token/",
  "/api/token/refresh/",
  "/api/token/verify/",
  "/api/token/blacklist/",
  "/api/register/",
];

function post(path: string, body: BodyInit, contentType?: string) {
  const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
  return new Request(BASE + path, { method: "POST", headers, body });
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function expectJson(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

describe("request bodies of a type DRF does not parse", () => {
  it.each(BODY_ENDPOINTS)("answers text/plain on %s with 415 and DRF's message", async (path) => {
    const response = await call(post(path, "username=a&password=b", "text/plain"));

    expect(await expectJson(response, 415)).toEqual({
      detail: 'Unsupported media type "text/plain" in request.',
    });
  });

  it("quotes the content type as the client sent it, parameters included", async () => {
    const response = await call(post("/api/token/", "<a/>", "application/xml; charset=utf-8"));

    expect(await expectJson(response, 415)).toEqual({
      detail: 'Unsupported media type "application/xml; charset=utf-8" in request.',
    });
  });

  it("answers a body without any content type with 415 naming the empty type", async () => {
    const response = await call(post("/api/token/", bytes('{"username":"a","password":"b"}')));

    expect(await expectJson(response, 415)).toEqual({
      detail: 'Unsupported media type "" in request.',
    });
  });

  it("reads an empty body without a content type as no fields", async () => {
    const response = await call(new Request(`${BASE}/api/token/`, { method: "POST" }));

    expect(await expectJson(response, 400)).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
    });
  });

  it("answers a multipart body with a broken boundary with 400, not 500", async () => {
    const body = '--other\r\nContent-Disposition: form-data; name="username"\r\n\r\na\r\n';

    const response = await call(
      post("/api/token/", body, "multipart/form-data; boundary=expected"),
    );

    expect(await expectJson(response, 400)).toEqual({
      detail: "Multipart form parse error - Invalid multipart body.",
    });
  });

  it("answers a multipart content type without a boundary with 400, not 500", async () => {
    const response = await call(post("/api/token/", "username=a", "multipart/form-data"));

    expect(Object.keys(await expectJson(response, 400))).toEqual(["detail"]);
  });
});

describe("request bodies over 16 KB", () => {
  const oversized = JSON.stringify({
    username: "a",
    password: "b",
    padding: "x".repeat(16 * 1024),
  });

  it.each(BODY_ENDPOINTS)("answers an oversized JSON body on %s with 413 JSON", async (path) => {
    const response = await call(post(path, oversized, "application/json"));

    expect(await expectJson(response, 413)).toEqual({ detail: "Request body is too large." });
  });

  it("answers an oversized body streamed without a length with 413", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let chunk = 0; chunk < 20; chunk++) controller.enqueue(bytes("y".repeat(1024)));
        controller.close();
      },
    });

    const response = await call(post("/api/token/", stream, "application/x-www-form-urlencoded"));

    expect(await expectJson(response, 413)).toEqual({ detail: "Request body is too large." });
  });

  it("still reads a body of exactly 16 KB", async () => {
    const base = JSON.stringify({ username: " ", password: " ", padding: "" });
    const body = JSON.stringify({
      username: " ",
      password: " ",
      padding: "x".repeat(16 * 1024 - base.length),
    });

    const response = await call(post("/api/token/", body, "application/json"));

    expect(body.length).toBe(16 * 1024);
    expect(await expectJson(response, 400)).toEqual({
      username: ["This field may not be blank."],
      password: ["This field may not be blank."],
    });
  });
});

describe("paths that are not endpoints", () => {
  it.each([
    ["GET", "/api/unknown/"],
    ["POST", "/api/unknown/"],
    ["GET", "/api/"],
    ["POST", "/api/token/extra/"],
    ["POST", "/api/Token/"],
  ])("answers %s %s with a JSON 404", async (method, path) => {
    const response = await call(new Request(BASE + path, { method }));

    expect(await expectJson(response, 404)).toEqual({ detail: "Not found." });
  });

  it.each([
    ["POST", "/api/token"],
    ["POST", "/api/token/refresh"],
    ["POST", "/api/token/verify"],
    ["POST", "/api/register"],
    ["GET", "/api/restricted"],
  ])("answers %s %s, without its trailing slash, with a JSON 404", async (method, path) => {
    const response = await call(new Request(BASE + path, { method }));

    expect(await expectJson(response, 404)).toEqual({ detail: "Not found." });
  });
});

describe("methods an endpoint does not take", () => {
  const postOnly = [...BODY_ENDPOINTS, "/api/logout/all/", "/api/password/change/"];
  const wrongMethods = ["GET", "PUT", "PATCH", "DELETE"];
  const postRows = postOnly.flatMap((path) => wrongMethods.map((method) => [method, path]));

  it.each(postRows)("answers %s %s with 405, Allow and DRF's message", async (method, path) => {
    const response = await call(new Request(BASE + path!, { method }));

    expect(await expectJson(response, 405)).toEqual({ detail: `Method "${method}" not allowed.` });
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it.each(BODY_ENDPOINTS)("answers HEAD %s with 405 and Allow, without a body", async (path) => {
    const response = await call(new Request(BASE + path, { method: "HEAD" }));

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
    expect(await response.text()).toBe("");
  });

  it.each(["POST", "PUT", "PATCH", "DELETE"])(
    "answers an authenticated %s /api/restricted/ with 405 and Allow",
    async (method) => {
      const token = await mintToken({ userId: 1 });
      const headers = { authorization: `Bearer ${token}` };

      const response = await call(new Request(`${BASE}/api/restricted/`, { method, headers }));

      expect(await expectJson(response, 405)).toEqual({
        detail: `Method "${method}" not allowed.`,
      });
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    },
  );

  it("authenticates before it looks at the method on /api/restricted/, as DRF does", async () => {
    const response = await call(new Request(`${BASE}/api/restricted/`, { method: "POST" }));

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(await response.json()).toEqual({
      detail: "Authentication credentials were not provided.",
    });
  });

  it.each([
    ...postOnly.map((path) => [path, "POST, OPTIONS"]),
    ["/api/restricted/", "GET, HEAD, OPTIONS"],
  ])("answers OPTIONS %s with 200 and Allow %s", async (path, allow) => {
    const response = await call(new Request(BASE + path!, { method: "OPTIONS" }));

    expect(response.status).toBe(200);
    expect(response.headers.get("allow")).toBe(allow);
  });
});

describe("any body on any endpoint", () => {
  const contentTypes = [
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "text/plain",
    "",
  ];
  const jsonValue = fc.oneof(
    fc.json(),
    fc.dictionary(
      fc.constantFrom("username", "password", "refresh", "token", "email", "x"),
      fc.oneof(fc.jsonValue(), fc.string()),
    ),
  );
  const request = fc.record({
    path: fc.constantFrom(...BODY_ENDPOINTS),
    contentType: fc.constantFrom(...contentTypes),
    body: fc.oneof(
      jsonValue.map((value) => JSON.stringify(value)),
      fc.string(),
      fc.string({ unit: "binary" }),
    ),
  });

  it("is answered with a JSON 2xx or 4xx, never a 500", async () => {
    // Cheap hashing: a body that happens to register or log in must not slow the run down.
    const overrides = { PASSWORD_HASH_ITERATIONS: "1000" };

    await fc.assert(
      fc.asyncProperty(request, async ({ path, contentType, body }) => {
        const response = await call(post(path, bytes(body), contentType || undefined), overrides);

        expect(response.status).toBeLessThan(500);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        await response.json();
      }),
      { numRuns: 150 },
    );
  });

  it("answers a registration with numbers for text as DRF does, reading them as text", async () => {
    const username = uniqueName("n");

    const response = await call(postJson("/api/register/", { username, password: 73194028561 }));

    expect(await expectJson(response, 400)).toEqual({
      password: ["This password is entirely numeric."],
    });
  });
});
