// Property-based tests: mutated, random and randomly-signed tokens, random Authorization
// headers, and random bodies and content types. Whatever arrives, the answer is a 4xx JSON in
// the documented shape (or a success only when the token really is valid), never a 5xx.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, BASE, call, PASSWORD } from "./helpers";
import { craftToken, signSegments } from "./craft-token";

/** Fixed seed and bounded runs: reproducible, and a few seconds per property. */
const RUNS = { seed: 42, numRuns: 150 };

/** Generous limits, so no property meets the throttle, and cheap hashing for random logins. */
const OVERRIDES = {
  THROTTLE_LOGIN_PER_IP: "100000/1m",
  THROTTLE_LOGIN_PER_USERNAME: "100000/1m",
  THROTTLE_REGISTER_PER_IP: "100000/1m",
  PASSWORD_HASH_ITERATIONS: "1000",
};

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

type Json = Record<string, unknown>;

interface Endpoint {
  name: string;
  send: (token: string) => Request;
}

const TOKEN_ENDPOINTS: Endpoint[] = [
  { name: "restricted", send: (token) => bearer("/api/restricted/", token, "GET") },
  { name: "refresh", send: (token) => json("/api/token/refresh/", { refresh: token }) },
  { name: "verify", send: (token) => json("/api/token/verify/", { token }) },
  { name: "blacklist", send: (token) => json("/api/token/blacklist/", { refresh: token }) },
];

function json(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

function bearer(path: string, token: string, method = "POST") {
  return new Request(BASE + path, { method, headers: { authorization: `Bearer ${token}` } });
}

/**
 * The request, or undefined when the runtime refuses to build it (a header value outside
 * Latin-1, say): such input can never reach the Worker, so the property skips it.
 */
function buildable(build: () => Request): Request | undefined {
  try {
    return build();
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Asserts a client error in one of the documented shapes, and returns its body. */
async function expectDocumentedError(response: Response): Promise<Json> {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body: unknown = await response.json();
  expect(isPlainObject(body)).toBe(true);
  const fields = body as Json;

  if (response.status === 401) {
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  }
  if ("detail" in fields) {
    expect(typeof fields.detail).toBe("string");
    expect(Object.keys(fields).every((key) => ["detail", "code", "messages"].includes(key))).toBe(
      true,
    );
    if ("messages" in fields) expect(fields.messages).toEqual([expect.any(Object)]);
    return fields;
  }

  // Field errors: {"field": ["message", …]}.
  expect(response.status).toBe(400);
  for (const messages of Object.values(fields)) {
    expect(Array.isArray(messages) && messages.length > 0).toBe(true);
    for (const message of messages as unknown[]) expect(typeof message).toBe("string");
  }
  return fields;
}

/** A valid token and one character edit of it: a change, an insertion or a deletion. */
function mutationOf(token: string, inHeader: boolean) {
  const position = fc.nat({ max: token.length - 1 });
  // Header values stay ASCII (the runtime warns about others); bodies take any character.
  const strays = inHeader
    ? [".", "=", "+", "/", " ", "%", "~"]
    : [".", "=", "+", "/", " ", "%", "\u00e9", "\u{1F600}"];
  const character = fc.oneof(fc.constantFrom(...BASE64URL.split("")), fc.constantFrom(...strays));

  return fc
    .oneof(
      fc
        .tuple(position, character)
        .map(([at, char]) => token.slice(0, at) + char + token.slice(at + 1)),
      fc
        .tuple(position, character)
        .map(([at, char]) => token.slice(0, at) + char + token.slice(at)),
      position.map((at) => token.slice(0, at) + token.slice(at + 1)),
    )
    .filter((mutated) => mutated.trim() !== token);
}

let pair: { access: string; refresh: string };

beforeAll(async () => {
  const user = await createUser();
  const response = await call(json("/api/token/", { username: user.username, password: PASSWORD }));
  pair = (await response.json()) as typeof pair;
});

describe("mutated tokens", () => {
  it("are each other's controls: the unmutated pair is accepted", async () => {
    const restricted = await call(bearer("/api/restricted/", pair.access, "GET"));
    const verifyRefresh = await call(json("/api/token/verify/", { token: pair.refresh }));

    expect(restricted.status).toBe(200);
    expect(verifyRefresh.status).toBe(200);
  });

  it.each(TOKEN_ENDPOINTS)("are refused by $name with a documented 4xx", async (endpoint) => {
    const original = endpoint.name === "restricted" ? pair.access : pair.refresh;

    await fc.assert(
      fc.asyncProperty(mutationOf(original, endpoint.name === "restricted"), async (token) => {
        const request = buildable(() => endpoint.send(token));
        if (!request) return fc.pre(false);

        const response = await call(request, OVERRIDES);

        const body = await expectDocumentedError(response);
        expect(response.status).toBe(401);
        expect(body.code).toMatch(/^(token_not_valid|bad_authorization_header)$/);
      }),
      RUNS,
    );
  });
});

describe("random strings as tokens", () => {
  const randomToken = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.string({ unit: fc.constantFrom(...`${BASE64URL}.`.split("")), maxLength: 300 }),
    fc
      .tuple(fc.base64String(), fc.base64String(), fc.base64String())
      .map((parts) => parts.join(".")),
  );

  it.each(TOKEN_ENDPOINTS.slice(1))(
    "are refused by $name with a documented 4xx",
    async (endpoint) => {
      await fc.assert(
        fc.asyncProperty(randomToken, async (token) => {
          const response = await call(endpoint.send(token), OVERRIDES);

          await expectDocumentedError(response);
        }),
        RUNS,
      );
    },
  );
});

/** Whether a token with this header and these claims must be accepted by `endpoint`. */
function acceptedBy(endpoint: string, header: Json, claims: Json, now: number): boolean {
  const headerOk =
    header.alg === "HS256" &&
    Object.keys(header).every((key) => ["alg", "typ"].includes(key)) &&
    (!("typ" in header) || header.typ === "JWT");
  const isTime = (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) && value >= 0;
  const timesOk =
    isTime(claims.exp) &&
    (claims.exp as number) > now &&
    ["iat", "nbf"].every(
      (name) => !(name in claims) || (isTime(claims[name]) && (claims[name] as number) <= now),
    );
  const idOk = typeof claims.jti === "string" && /^[0-9a-f]{32}$/.test(claims.jti);
  const userOk = Number.isSafeInteger(claims.user_id) && (claims.user_id as number) >= 1;
  const versionOk =
    !("session_version" in claims) ||
    (Number.isSafeInteger(claims.session_version) && (claims.session_version as number) >= 0);
  const wellFormed = headerOk && timesOk && idOk && userOk && versionOk;

  // Random refresh tokens are in no ledger: refresh and verify refuse them, logout accepts.
  if (endpoint === "restricted" || endpoint === "verify") {
    return wellFormed && claims.token_type === "access";
  }
  if (endpoint === "blacklist") return wellFormed && claims.token_type === "refresh";
  return false;
}

describe("random headers and claims signed with the real key", () => {
  const now = Math.floor(Date.now() / 1000);
  // Times far from now, so the clock moving during a run cannot change an outcome.
  const time = fc.oneof(
    fc.constantFrom(now - 3600, now + 3600, 0, -1, 2 ** 31 + 5, 1e300),
    fc.double(),
    fc.jsonValue(),
  );
  const ABSENT = Symbol("absent");
  /** Mostly a valid value, sometimes a random one, sometimes no claim at all. */
  const field = <T>(valid: fc.Arbitrary<T>, random: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 5, arbitrary: valid },
      { weight: 1, arbitrary: random },
      { weight: 1, arbitrary: fc.constant(ABSENT) },
    );
  const present = (record: Record<string, unknown>): Json =>
    Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ABSENT));

  const header = fc
    .record({
      alg: field(
        fc.constant("HS256"),
        fc.oneof(fc.constantFrom("none", "HS512", "RS256", "hs256"), fc.jsonValue()),
      ),
      typ: field(fc.constant("JWT"), fc.jsonValue()),
      kid: fc.oneof({ weight: 6, arbitrary: fc.constant(ABSENT) }, fc.string()),
      crit: fc.oneof({ weight: 6, arbitrary: fc.constant(ABSENT) }, fc.jsonValue()),
    })
    .map(present);
  const claims = fc
    .record({
      token_type: field(
        fc.constantFrom("access", "refresh"),
        fc.oneof(fc.constant("id"), fc.jsonValue()),
      ),
      exp: field(fc.constant(now + 3600), time),
      iat: fc.oneof(fc.constant(ABSENT), fc.constant(now - 60), time),
      nbf: fc.oneof({ weight: 3, arbitrary: fc.constant(ABSENT) }, fc.constant(now - 60), time),
      jti: field(fc.stringMatching(/^[0-9a-f]{32}$/), fc.oneof(fc.string(), fc.jsonValue())),
      user_id: field(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.oneof(fc.integer({ min: -5, max: 0 }), fc.double(), fc.jsonValue()),
      ),
      session_version: fc.oneof(
        { weight: 3, arbitrary: fc.constant(ABSENT) },
        fc.nat(),
        fc.jsonValue(),
      ),
      extra: fc.oneof(fc.constant(ABSENT), fc.jsonValue()),
    })
    .map(present);

  it.each(TOKEN_ENDPOINTS)(
    "are accepted by $name exactly when every rule holds",
    async (endpoint) => {
      let accepted = 0;

      await fc.assert(
        fc.asyncProperty(header, claims, async (tokenHeader, tokenClaims) => {
          const token = await craftToken(tokenHeader, tokenClaims);

          const response = await call(endpoint.send(token), OVERRIDES);

          const expected = acceptedBy(endpoint.name, tokenHeader, tokenClaims, now);
          if (!expected) return void (await expectDocumentedError(response));
          expect(response.status).toBe(200);
          accepted++;
        }),
        RUNS,
      );

      // The property is not vacuous: some generated tokens are valid, and were accepted.
      if (endpoint.name !== "refresh") expect(accepted).toBeGreaterThan(0);
    },
  );

  it("refuses any payload segment that is not a JSON object, however it is signed", async () => {
    const payload = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
    );

    await fc.assert(
      fc.asyncProperty(payload, async (text) => {
        fc.pre(!/^\s*\{/.test(text));
        const encoded = btoa(String.fromCharCode(...new TextEncoder().encode(text)))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
        const token = await signSegments("eyJhbGciOiJIUzI1NiJ9", encoded);

        const response = await call(json("/api/token/verify/", { token }), OVERRIDES);

        await expectDocumentedError(response);
      }),
      RUNS,
    );
  });
});

describe("random Authorization headers", () => {
  const scheme = fc.oneof(
    fc.mixedCase(fc.constant("bearer")),
    fc.constantFrom("Basic", "JWT", "Token", ""),
    fc.string({ unit: "grapheme-ascii", maxLength: 10 }),
  );
  const rest = fc.string({ unit: "grapheme-ascii", maxLength: 200 });
  const separator = fc.constantFrom(" ", "  ", "\t", "");

  it("are answered 401 in SimpleJWT's shape, never 200 or 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(scheme, separator, rest, async (name, space, value) => {
        const authorization = `${name}${space}${value}`;
        const request = buildable(
          () => new Request(`${BASE}/api/restricted/`, { headers: { authorization } }),
        );
        if (!request) return fc.pre(false);

        const response = await call(request, OVERRIDES);

        const body = await expectDocumentedError(response);
        expect(response.status).toBe(401);
        expect(body.detail).toBeTypeOf("string");
      }),
      RUNS,
    );
  });
});

describe("random bodies and content types", () => {
  let authorization = "";

  beforeAll(async () => {
    // A user of its own: random bodies to logout-everywhere revoke this user's sessions only.
    const user = await createUser();
    const response = await call(
      json("/api/token/", { username: user.username, password: PASSWORD }),
    );
    authorization = `Bearer ${((await response.json()) as { access: string }).access}`;
  });

  const FIELDS = [
    "username",
    "password",
    "email",
    "refresh",
    "token",
    "old_password",
    "new_password",
  ];
  const fieldValue = fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue());
  const fieldObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), fieldValue);
  const contentType = fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "multipart/form-data; boundary=xyz",
      "text/plain",
      "application/xml",
      "",
    ),
    fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
  );
  const body = fc.oneof(
    fieldObject.map((fields) => JSON.stringify(fields)),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fieldObject.map((fields) =>
      new URLSearchParams(
        Object.entries(fields).map(([key, value]) => [key, String(value)]),
      ).toString(),
    ),
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.constant(
      '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nbob\r\n--xyz--\r\n',
    ),
  );
  const POST_PATHS = [
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/token/blacklist/",
    "/api/register/",
    "/api/password/change/",
    "/api/logout/all/",
  ];

  it("are answered with a documented 4xx, or a success in the endpoint's own shape", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POST_PATHS),
        contentType,
        body,
        async (path, type, text) => {
          const headers: Record<string, string> = { authorization };
          if (type) headers["content-type"] = type;
          const request = buildable(
            () =>
              new Request(BASE + path, {
                method: "POST",
                headers,
                body: new TextEncoder().encode(text),
              }),
          );
          if (!request) return fc.pre(false);

          const response = await call(request, OVERRIDES);

          if (response.status < 300) {
            expect([200, 201]).toContain(response.status);
            expect(isPlainObject(await response.json())).toBe(true);
            return;
          }
          await expectDocumentedError(response);
        },
      ),
      { ...RUNS, numRuns: 300 },
    );
  });
});
