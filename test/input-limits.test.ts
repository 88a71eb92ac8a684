// Limits on what a request may carry: body size (declared or streamed), field lengths at
// registration, content types and the JSON body's shape. Each is a 4xx in DRF's shape.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../src/app";
import { BASE, call, PASSWORD, postJson, uniqueName } from "./helpers";

const POST_ENDPOINTS = [
  "/api/token/",
  "/api/token/refresh/",
  "/api/token/verify/",
  "/api/token/blacklist/",
  "/api/register/",
];

/** A POST with exactly this content type; bytes, so the runtime adds no type of its own. */
function post(path: string, body: string, contentType?: string) {
  const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
  return new Request(BASE + path, {
    method: "POST",
    headers,
    body: new TextEncoder().encode(body),
  });
}

/** A body that arrives in chunks, with no Content-Length: the size is only known by reading. */
function streamed(path: string, totalBytes: number, chunkBytes = 1024) {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const size = Math.min(chunkBytes, totalBytes - sent);
      controller.enqueue(new TextEncoder().encode("a".repeat(size)));
      sent += size;
    },
  });
  return new Request(BASE + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    // @ts-expect-error: duplex is required for streamed bodies but not yet in RequestInit.
    duplex: "half",
  });
}

async function userCount(username: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from users where username = ?")
    .bind(username)
    .first<{ n: number }>();
  return row!.n;
}

describe("body size", () => {
  it.each(POST_ENDPOINTS)("answers 413 on %s for a body over 16 KB", async (path) => {
    const body = JSON.stringify({ username: "a".repeat(MAX_BODY_BYTES), password: "x" });

    const response = await call(post(path, body, "application/json"));

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: "Request body is too large." });
  });

  it("answers 413 for a streamed body with no Content-Length that grows past 16 KB", async () => {
    const request = streamed("/api/token/", MAX_BODY_BYTES + 1);
    expect(request.headers.get("content-length")).toBeNull();

    const response = await call(request);

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: "Request body is too large." });
  });

  it("reads a streamed body under the limit as usual", async () => {
    const response = await call(streamed("/api/token/", 100));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
    });
  });

  it("accepts a body of exactly 16 KB", async () => {
    const filler = "a".repeat(MAX_BODY_BYTES - JSON.stringify({ refresh: "" }).length);
    const body = JSON.stringify({ refresh: filler });
    expect(new TextEncoder().encode(body).byteLength).toBe(MAX_BODY_BYTES);

    const response = await call(post("/api/token/refresh/", body, "application/json"));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      refresh: ["Ensure this field has no more than 8192 characters."],
    });
  });
});

describe("field lengths at registration", () => {
  it("answers 400 for a username over 150 characters, and creates nobody", async () => {
    const username = "u".repeat(151);

    const response = await call(postJson("/api/register/", { username, password: PASSWORD }));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      username: ["Ensure this field has no more than 150 characters."],
    });
    expect(await userCount(username)).toBe(0);
  });

  it("accepts a username of exactly 150 characters", async () => {
    const username = uniqueName("u").padEnd(150, "u");

    const response = await call(postJson("/api/register/", { username, password: PASSWORD }));

    expect(response.status).toBe(201);
    expect(await userCount(username)).toBe(1);
  });

  it("answers 400 for an email over 254 characters", async () => {
    const username = uniqueName("mail");
    const email = `${"e".repeat(243)}@example.com`;
    expect(email.length).toBe(255);

    const response = await call(
      postJson("/api/register/", { username, password: PASSWORD, email }),
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      email: ["Ensure this field has no more than 254 characters."],
    });
    expect(await userCount(username)).toBe(0);
  });

  it("answers 400 for a password under 8 characters", async () => {
    const username = uniqueName("short");

    const response = await call(postJson("/api/register/", { username, password: "Ab1-xyz" }));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      password: ["This password is too short. It must contain at least 8 characters."],
    });
    expect(await userCount(username)).toBe(0);
  });

  it("answers 400 for a password over 256 characters, before hashing it", async () => {
    const username = uniqueName("long");
    const password = "Pw-9".repeat(64) + "x";

    const response = await call(postJson("/api/register/", { username, password }));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      password: ["Ensure this field has no more than 256 characters."],
    });
    expect(await userCount(username)).toBe(0);
  });

  it("reports every failing field at once", async () => {
    const response = await call(
      postJson("/api/register/", {
        username: "u".repeat(151),
        password: "p".repeat(257),
        email: `${"e".repeat(250)}@x.io`,
      }),
    );

    expect(response.status).toBe(400);
    expect(Object.keys(await response.json()).sort()).toEqual(["email", "password", "username"]);
  });
});

describe("content types", () => {
  it.each([
    ["text/plain", "text/plain"],
    ["application/xml", "application/xml"],
    ["application/jsonx", "application/jsonx"],
    ["no type at all", undefined],
  ])("answers 415 on every POST endpoint for %s", async (_what, contentType) => {
    for (const path of POST_ENDPOINTS) {
      const response = await call(post(path, "username=a&password=b", contentType));

      expect(response.status).toBe(415);
      const shown = contentType ?? "";
      expect(await response.json()).toEqual({
        detail: `Unsupported media type "${shown}" in request.`,
      });
    }
  });

  it("accepts JSON with a charset and in upper case", async () => {
    for (const type of ["application/json; charset=utf-8", "APPLICATION/JSON"]) {
      const response = await call(post("/api/token/verify/", "{}", type));

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ token: ["This field is required."] });
    }
  });
});

describe("JSON bodies that are not objects", () => {
  it.each([
    ["[]", "list"],
    ['"text"', "str"],
    ["42", "int"],
    ["4.2", "float"],
    ["true", "bool"],
  ])("answers 400 non_field_errors for %s", async (json, typeName) => {
    for (const path of POST_ENDPOINTS) {
      const response = await call(post(path, json, "application/json"));

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName}.`],
      });
    }
  });

  it("answers 400 No data provided for null", async () => {
    const response = await call(post("/api/token/", "null", "application/json"));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ non_field_errors: ["No data provided"] });
  });

  it("answers 400 JSON parse error for malformed JSON, without echoing the body", async () => {
    const response = await call(
      post("/api/token/", '{"username": "a", "password": "hunter2-secret"', "application/json"),
    );

    expect(response.status).toBe(400);
    const body = (await response.json()) as { detail: string };
    expect(body.detail).toMatch(/^JSON parse error - /);
    expect(body.detail).not.toContain("hunter2-secret");
  });
});
