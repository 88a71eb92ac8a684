// POST /api/token/: the pair SimpleJWT issues for good credentials, the one 401 for every bad
// one, and DRF's 400 for each malformed body.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authenticateCredentials } from "../src/auth/login";
import { webCryptoHasher, type PasswordHasher } from "../src/auth/passwords";
import { database } from "../src/db/client";
import type { RequestLog } from "../src/log";
import {
  BASE,
  call,
  createUser,
  decodeJwt,
  expect401,
  postForm,
  postJson,
  postMultipart,
  readUserRow,
  settingsFor,
  uniqueName,
} from "./helpers";

const NO_ACTIVE_ACCOUNT = { detail: "No active account found with the given credentials" };
const REQUIRED = "This field is required.";
const BLANK = "This field may not be blank.";
const NULL = "This field may not be null.";
const NOT_A_STRING = "Not a valid string.";

function postRaw(body: string, contentType = "application/json") {
  return new Request(`${BASE}/api/token/`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
}

async function expectPair(response: Response, userId: number) {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as { access: string; refresh: string };
  expect(Object.keys(body).sort()).toEqual(["access", "refresh"]);

  const access = decodeJwt(body.access);
  const refresh = decodeJwt(body.refresh);
  expect(access.payload.user_id).toBe(userId);
  expect(refresh.payload.user_id).toBe(userId);
  return { access, refresh };
}

describe("POST /api/token/ with good credentials", () => {
  it("returns exactly refresh and access for a form-encoded body", async () => {
    const user = await createUser();

    const response = await call(
      postForm("/api/token/", { username: user.username, password: user.password }),
    );

    await expectPair(response, user.id);
  });

  it("returns the pair for a JSON body", async () => {
    const user = await createUser();

    const response = await call(
      postJson("/api/token/", { username: user.username, password: user.password }),
    );

    await expectPair(response, user.id);
  });

  it("returns the pair for a JSON body whose content type names a charset", async () => {
    const user = await createUser();
    const body = JSON.stringify({ username: user.username, password: user.password });

    const response = await call(postRaw(body, "application/json; charset=utf-8"));

    await expectPair(response, user.id);
  });

  it("returns the pair for a multipart body", async () => {
    const user = await createUser();

    const response = await call(
      postMultipart("/api/token/", { username: user.username, password: user.password }),
    );

    await expectPair(response, user.id);
  });

  it("issues HS256 JWTs with SimpleJWT's claims and lifetimes", async () => {
    const user = await createUser();
    const before = Math.floor(Date.now() / 1000);

    const response = await call(
      postJson("/api/token/", { username: user.username, password: user.password }),
    );
    const { access, refresh } = await expectPair(response, user.id);

    for (const token of [access, refresh]) {
      expect(token.header).toMatchObject({ alg: "HS256", typ: "JWT" });
      // A `kid` names the signing key so keys can rotate; nothing else may appear.
      expect(
        Object.keys(token.header)
          .filter((key) => key !== "kid")
          .sort(),
      ).toEqual(["alg", "typ"]);
      expect(Object.keys(token.payload).sort()).toEqual([
        "exp",
        "iat",
        "jti",
        "token_type",
        "user_id",
      ]);
      expect(token.payload.jti).toMatch(/^[0-9a-f]{32}$/);
      expect(token.payload.iat).toBeGreaterThanOrEqual(before - 1);
      expect(token.payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    }
    expect(access.payload.token_type).toBe("access");
    expect(refresh.payload.token_type).toBe("refresh");
    expect(access.payload.exp).toBe((access.payload.iat as number) + 300);
    expect(refresh.payload.exp).toBe((refresh.payload.iat as number) + 86400);
    expect(access.payload.jti).not.toBe(refresh.payload.jti);
  });

  it("records last_login in D1", async () => {
    const user = await createUser();
    const before = await readUserRow(user.id);

    await call(postJson("/api/token/", { username: user.username, password: user.password }));

    const after = await readUserRow(user.id);
    expect(before?.last_login).toBeNull();
    expect(after?.last_login).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
  });

  it("trims leading and trailing whitespace of both fields", async () => {
    const user = await createUser();

    const response = await call(
      postJson("/api/token/", { username: `  ${user.username}\t`, password: ` ${user.password} ` }),
    );

    await expectPair(response, user.id);
  });

  it("reads a numeric password as its text, as DRF's CharField does", async () => {
    const user = await createUser({ password: "8675309123" });

    const response = await call(
      postJson("/api/token/", { username: user.username, password: 8675309123 }),
    );

    await expectPair(response, user.id);
  });
});

describe("POST /api/token/ with credentials that do not belong to an active account", () => {
  it("answers a wrong password with the no-active-account 401 and leaves last_login alone", async () => {
    const user = await createUser();

    const response = await call(
      postJson("/api/token/", { username: user.username, password: "Wrong-Horse-Battery-9" }),
    );

    expect(await expect401(response)).toEqual(NO_ACTIVE_ACCOUNT);
    expect((await readUserRow(user.id))?.last_login).toBeNull();
  });

  it("answers an unknown username with the same 401", async () => {
    const response = await call(
      postJson("/api/token/", { username: uniqueName("ghost"), password: "Anything-At-All-1" }),
    );

    expect(await expect401(response)).toEqual(NO_ACTIVE_ACCOUNT);
  });

  it("answers an inactive user's right password with the same 401 and no login recorded", async () => {
    const user = await createUser({ isActive: false });

    const response = await call(
      postJson("/api/token/", { username: user.username, password: user.password }),
    );

    expect(await expect401(response)).toEqual(NO_ACTIVE_ACCOUNT);
    expect((await readUserRow(user.id))?.last_login).toBeNull();
  });

  it("matches usernames case-sensitively", async () => {
    const user = await createUser({ username: uniqueName("CaseSensitive") });

    const response = await call(
      postJson("/api/token/", { username: user.username.toLowerCase(), password: user.password }),
    );

    expect(await expect401(response)).toEqual(NO_ACTIVE_ACCOUNT);
  });

  it("runs the password hasher exactly once on every failing path, so timing tells nothing", async () => {
    const active = await createUser();
    const inactive = await createUser({ isActive: false });
    let checks = 0;
    const counting: PasswordHasher = {
      hash: webCryptoHasher.hash,
      check: (password, stored) => {
        checks++;
        return webCryptoHasher.check(password, stored);
      },
    };
    const log: RequestLog = { event: () => {} };
    const attempts = [
      { username: active.username, password: "Wrong-Horse-Battery-9" },
      { username: uniqueName("ghost"), password: "Wrong-Horse-Battery-9" },
      { username: inactive.username, password: inactive.password },
    ];

    for (const credentials of attempts) {
      const before = checks;
      const attempt = authenticateCredentials(
        database(env.DB),
        settingsFor(),
        credentials,
        counting,
        log,
      );
      await expect(attempt).rejects.toMatchObject({ detail: NO_ACTIVE_ACCOUNT.detail });
      expect(checks - before).toBe(1);
    }
  });
});

describe("POST /api/token/ with Unicode usernames", () => {
  it("lets a user registered in fullwidth letters log in with the NFKC form", async () => {
    const suffix = crypto.randomUUID().slice(0, 6);
    const registered = await call(
      postJson("/api/register/", {
        username: `ｆｕｌｌｗｉｄｔｈ${suffix}`,
        password: "Zebra-Lantern-Quiet-42",
      }),
    );
    const created = (await registered.json()) as { id: number; username: string };

    const response = await call(
      postJson("/api/token/", {
        username: `fullwidth${suffix}`,
        password: "Zebra-Lantern-Quiet-42",
      }),
    );

    expect(registered.status).toBe(201);
    expect(created.username).toBe(`fullwidth${suffix}`);
    await expectPair(response, created.id);
  });

  it("normalises the username typed at login too", async () => {
    const user = await createUser({ username: uniqueName("wide") });
    const typed = user.username.replace("wide", "ｗｉｄｅ");

    const response = await call(
      postJson("/api/token/", { username: typed, password: user.password }),
    );

    await expectPair(response, user.id);
  });
});

describe("POST /api/token/ with a malformed body", () => {
  const rows: Array<[string, unknown, Record<string, string[]>]> = [
    ["the username is missing", { password: "x" }, { username: [REQUIRED] }],
    ["the password is missing", { username: "x" }, { password: [REQUIRED] }],
    ["the body is {}", {}, { username: [REQUIRED], password: [REQUIRED] }],
    [
      "both fields are empty",
      { username: "", password: "" },
      { username: [BLANK], password: [BLANK] },
    ],
    [
      "both fields are only whitespace",
      { username: "  ", password: "\t\n " },
      { username: [BLANK], password: [BLANK] },
    ],
    [
      "both fields are null",
      { username: null, password: null },
      { username: [NULL], password: [NULL] },
    ],
    [
      "the fields are objects",
      { username: { name: "x" }, password: { value: "y" } },
      { username: [NOT_A_STRING], password: [NOT_A_STRING] },
    ],
    [
      "the fields are lists",
      { username: ["x"], password: ["y"] },
      { username: [NOT_A_STRING], password: [NOT_A_STRING] },
    ],
    [
      "the fields are booleans",
      { username: true, password: false },
      { username: [NOT_A_STRING], password: [NOT_A_STRING] },
    ],
  ];

  it.each(rows)("answers 400 with DRF's field errors when %s", async (_, body, errors) => {
    const response = await call(postJson("/api/token/", body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(errors);
  });

  it("answers an empty JSON body as if both fields were missing", async () => {
    const response = await call(postRaw(""));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ username: [REQUIRED], password: [REQUIRED] });
  });

  it("answers an empty form body as if both fields were missing", async () => {
    const response = await call(postForm("/api/token/", {}));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ username: [REQUIRED], password: [REQUIRED] });
  });

  it("answers blank form fields with the blank message", async () => {
    const response = await call(postForm("/api/token/", { username: " ", password: "" }));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ username: [BLANK], password: [BLANK] });
  });

  it("answers invalid JSON with a parse error that does not echo the body", async () => {
    const response = await call(postRaw('{"username": "alice", "password": "s3cret-value"'));

    expect(response.status).toBe(400);
    const body = (await response.json()) as { detail: string };
    expect(Object.keys(body)).toEqual(["detail"]);
    expect(body.detail).toMatch(/^JSON parse error - /);
    expect(body.detail).not.toContain("s3cret-value");
  });

  it.each([
    ["[]", "list"],
    ['["alice", "pw"]', "list"],
    ['"alice"', "str"],
    ["42", "int"],
    ["true", "bool"],
    ["false", "bool"],
  ])("answers the JSON body %s with non_field_errors naming %s", async (body, typeName) => {
    const response = await call(postRaw(body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName}.`],
    });
  });

  it("answers the JSON body null with No data provided", async () => {
    const response = await call(postRaw("null"));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ non_field_errors: ["No data provided"] });
  });
});
