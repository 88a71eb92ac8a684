// Input that is technically text but cannot be stored or compared faithfully, clients that
// hang up mid-body, client-chosen request ids, and what an unexpected error may put in a log.

import { describe, expect, it } from "vitest";
import { describeForLog } from "../src/http/error-handler";
import { BASE, call, createUser, get, login, postJson, uniqueName } from "./helpers";

describe("text fields", () => {
  it("refuses a password with a lone surrogate, which has no faithful UTF-8 form", async () => {
    const body = { username: uniqueName(), password: "\ud800\ud800Long-Enough-1" };

    const response = await call(postJson("/api/register/", body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ password: ["Not a valid string."] });
  });

  it("refuses an email with invisible formatting characters", async () => {
    const body = { username: uniqueName(), password: "Correct-Horse-9", email: "a\u202e@b.cd" };

    const response = await call(postJson("/api/register/", body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ email: ["Enter a valid email address."] });
  });
});

describe("request bodies", () => {
  it("answers 400, not 500, when the body stream breaks before it ends", async () => {
    const broken = new ReadableStream({
      pull(controller) {
        controller.error(new Error("Network connection lost."));
      },
    });
    const request = new Request(`${BASE}/api/token/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: broken,
    });

    const response = await call(request);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: "The request body could not be read." });
  });
});

describe("request ids", () => {
  it("ignores an id the client sends and answers with its own", async () => {
    const request = new Request(`${BASE}/api/restricted/`, {
      headers: { "x-request-id": "chosen-by-the-client" },
    });

    const response = await call(request);

    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("logging an unexpected error", () => {
  it("keeps the innermost cause and the stack frames, never a failed query's parameters", () => {
    const cause = new Error("D1_ERROR: something broke");
    const error = new Error("Failed query: insert into users …\nparams: pbkdf2_sha256$secret", {
      cause,
    });

    const logged = describeForLog(error);

    expect(logged.reason).toBe("D1_ERROR: something broke");
    expect(JSON.stringify(logged)).not.toContain("pbkdf2_sha256$secret");
    expect(logged.stack).toMatch(/^\s+at /);
  });
});

describe("admin search", () => {
  it("finds a user by a 150-character username, beyond any LIKE pattern limit", async () => {
    const staff = await createUser({ isStaff: true });
    const { access } = await login(staff.username, staff.password);
    const longName = "x".repeat(140) + uniqueName("s").slice(0, 10);
    await createUser({ username: longName });

    const response = await call(
      get(`/api/admin/users/?search=${encodeURIComponent(longName)}`, `Bearer ${access}`),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ count: 1, results: [{ username: longName }] });
  });
});
