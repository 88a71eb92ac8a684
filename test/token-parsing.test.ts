// Strict token parsing: every rule of the JWS layer and the claim checks has a negative test,
// first against readToken with an explicit clock, then through every endpoint that takes a token.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TOKEN_LENGTH } from "../src/auth/jwt";
import { buildClaims, readToken, signClaims, type TokenType } from "../src/auth/tokens";
import { TokenError } from "../src/errors";
import { parseSettings } from "../src/settings";
import {
  STANDARD_HEADER,
  accessClaims,
  craftToken,
  refreshClaims,
  segment,
  signSegments,
} from "./craft-token";
import { call, get, postJson } from "./helpers";

const INVALID = "Token is invalid or expired";
const NO_USER = "Token contained no recognizable user identification";
const OTHER_KEY = "another-signing-key-that-is-long-enough-for-hs256";

function settings(overrides: Record<string, string> = {}) {
  return parseSettings({ ...env, ...overrides });
}

/** The TokenError readToken throws for this token, failing the test when it accepts it. */
async function refusalOf(
  token: string,
  expected: TokenType | "any" = "access",
  options: { overrides?: Record<string, string>; now?: number } = {},
): Promise<TokenError> {
  const clock = options.now === undefined ? undefined : () => options.now!;
  const outcome = await readToken(token, expected, settings(options.overrides), clock).then(
    () => undefined,
    (error: unknown) => error,
  );

  if (!(outcome instanceof TokenError)) throw new Error(`token was not refused: ${outcome}`);
  return outcome;
}

/** Sets the unused low bit of a segment's last character: the same bytes, another spelling. */
function nonCanonical(encoded: string): string {
  if (encoded.length % 4 === 0) throw new Error("a full final quantum has no unused bits");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(encoded.at(-1)!);
  return encoded.slice(0, -1) + alphabet[last | 1];
}

/** The standard header as JSON text whose encoding ends in a partial quantum (28 bytes). */
const UNEVEN_HEADER = '{"alg": "HS256","typ":"JWT"}';

/** A valid token padded with an extra claim to exactly `length` characters. */
async function tokenOfLength(claims: Record<string, unknown>, length: number): Promise<string> {
  const unpadded = await craftToken(STANDARD_HEADER, { ...claims, pad: "" });
  let pad = Math.floor(((length - unpadded.length) * 3) / 4) - 3;

  for (;;) {
    const token = await craftToken(STANDARD_HEADER, { ...claims, pad: "x".repeat(pad) });
    if (token.length === length) return token;
    if (token.length > length) throw new Error(`cannot pad to ${length}`);
    pad++;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a crafted token", () => {
  it("is accepted when nothing is wrong with it, so each refusal below is about one rule", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());

    const claims = await readToken(token, "access", settings());

    expect(claims.token_type).toBe("access");
  });
});

describe("the compact serialisation", () => {
  it("refuses a token without exactly three segments", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());
    const [header, payload, signature] = token.split(".");

    for (const broken of [`${header}.${payload}`, `${token}.${signature}`, `${token}.`, "", ".."]) {
      expect((await refusalOf(broken)).message).toBe(INVALID);
    }
  });

  it("refuses a valid token with base64 padding appended", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());

    const refusal = await refusalOf(`${token}=`);

    expect(refusal.message).toBe(INVALID);
    expect(refusal.detail).toBe("bad signature encoding");
  });

  it("refuses a padded header segment even when the signature covers it", async () => {
    const header = segment(UNEVEN_HEADER);
    expect(header.length % 4).toBe(2);

    const token = await signSegments(`${header}==`, segment(accessClaims()));

    expect((await refusalOf(token)).detail).toBe("bad header encoding");
  });

  it("refuses whitespace inside any segment, even when signed", async () => {
    const header = segment(STANDARD_HEADER);
    const payload = segment(accessClaims());
    const good = await signSegments(header, payload);

    const spaced = await signSegments(header, `${payload.slice(0, 10)} ${payload.slice(10)}`);
    const newline = await signSegments(`${header}\n`, payload);

    expect((await refusalOf(spaced)).detail).toBe("bad payload encoding");
    expect((await refusalOf(newline)).detail).toBe("bad header encoding");
    expect((await refusalOf(` ${good}`)).detail).toBe("bad header encoding");
    expect((await refusalOf(`${good}\t`)).detail).toBe("bad signature encoding");
  });

  it("refuses characters outside base64url (standard base64's + and /, and others)", async () => {
    const payload = segment(accessClaims());

    for (const stray of ["+", "/", "*", "%", "é"]) {
      const token = await signSegments(segment(STANDARD_HEADER), `${payload}${stray}A`);
      expect((await refusalOf(token)).message).toBe(INVALID);
    }
  });

  it("refuses a signature spelled with non-zero unused trailing bits", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());
    const [header, payload, signature] = token.split(".") as [string, string, string];

    const refusal = await refusalOf(`${header}.${payload}.${nonCanonical(signature)}`);

    expect(refusal.detail).toBe("bad signature encoding");
  });

  it("refuses header and payload segments with non-zero unused trailing bits, even when signed", async () => {
    const header = segment(UNEVEN_HEADER);
    const claims = accessClaims({ pad: "" });
    while (segment(claims).length % 4 === 0) claims.pad += "x";
    const payload = segment(claims);

    const badHeader = await signSegments(nonCanonical(header), payload);
    const badPayload = await signSegments(header, nonCanonical(payload));

    expect((await refusalOf(badHeader)).detail).toBe("bad header encoding");
    expect((await refusalOf(badPayload)).detail).toBe("bad payload encoding");
  });
});

describe("the header", () => {
  it.each(["none", "HS384", "HS512", "RS256", "ES256", "hs256", "", null, 256])(
    "refuses alg %j even when the HS256 signature is right",
    async (alg) => {
      const token = await craftToken({ alg, typ: "JWT" }, accessClaims());

      const refusal = await refusalOf(token);

      expect(refusal.message).toBe(INVALID);
      expect(refusal.detail).toBe("algorithm not allowed");
    },
  );

  it("refuses alg none with an empty signature", async () => {
    const header = segment({ alg: "none", typ: "JWT" });

    const refusal = await refusalOf(`${header}.${segment(accessClaims())}.`);

    expect(refusal.detail).toBe("algorithm not allowed");
  });

  it("refuses a header without alg", async () => {
    const token = await craftToken({ typ: "JWT" }, accessClaims());

    expect((await refusalOf(token)).detail).toBe("algorithm not allowed");
  });

  it("refuses a crit header, whatever it names", async () => {
    for (const crit of [["exp"], [], "b64"]) {
      const token = await craftToken({ ...STANDARD_HEADER, crit }, accessClaims());
      expect((await refusalOf(token)).detail).toBe("unknown header field crit");
    }
  });

  it("accepts a header without typ but refuses any typ other than JWT", async () => {
    const untyped = await craftToken({ alg: "HS256" }, accessClaims());
    await expect(readToken(untyped, "access", settings())).resolves.toBeTruthy();

    for (const typ of ["JWS", "at+jwt", "jwt ", null, 1]) {
      const token = await craftToken({ alg: "HS256", typ }, accessClaims());
      expect((await refusalOf(token)).detail).toBe("bad typ");
    }
  });

  it("refuses a header that is not a JSON object", async () => {
    for (const header of ["[]", '"HS256"', "null", "{", '{"alg":"HS256"} x']) {
      const token = await signSegments(segment(header), segment(accessClaims()));
      expect((await refusalOf(token)).message).toBe(INVALID);
    }
  });

  it("refuses a kid that names no configured key", async () => {
    const token = await craftToken({ ...STANDARD_HEADER, kid: "not-a-key" }, accessClaims());

    expect((await refusalOf(token)).detail).toBe("unknown kid");
  });
});

describe("the signature", () => {
  it("is checked before any claim: a badly signed token without exp is invalid, not missing exp", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ exp: undefined }), OTHER_KEY);

    const refusal = await refusalOf(token);

    expect(refusal.message).toBe(INVALID);
    expect(refusal.detail).toBe("bad signature");
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ user_id: 1 }));
    const [header, , signature] = token.split(".");

    const forged = `${header}.${segment(accessClaims({ user_id: 2 }))}.${signature}`;

    expect((await refusalOf(forged)).detail).toBe("bad signature");
  });

  it("refuses a token over 4096 characters before any signature check", async () => {
    const token = await tokenOfLength(accessClaims(), MAX_TOKEN_LENGTH + 1);
    const verify = vi.spyOn(crypto.subtle, "verify");

    const refusal = await refusalOf(token);

    expect(refusal.detail).toBe("token too long");
    expect(verify).not.toHaveBeenCalled();
  });

  it("checks the signature of a token of exactly 4096 characters (the spy sees verify)", async () => {
    const token = await tokenOfLength(accessClaims(), MAX_TOKEN_LENGTH);
    const verify = vi.spyOn(crypto.subtle, "verify");

    await readToken(token, "access", settings());

    expect(verify).toHaveBeenCalled();
  });
});

describe("the time claims", () => {
  const now = 1_900_000_000;

  it("refuses a token without exp, with SimpleJWT's message", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ exp: undefined }, now));

    const refusal = await refusalOf(token, "access", { now });

    expect(refusal.refusal).toBe("no_exp");
    expect(refusal.message).toBe("Token has no 'exp' claim");
  });

  it.each([
    ["a string", '"1900000300"'],
    ["null", "null"],
    ["a number too large for a double", "1e400"],
    ["true", "true"],
    ["negative", "-1"],
    ["an object", "{}"],
  ])("refuses exp, iat and nbf when %s", async (_what, json) => {
    for (const claim of ["exp", "iat", "nbf"]) {
      const claims = { ...accessClaims({}, now), [claim]: "__VALUE__" };
      const payload = JSON.stringify(claims).replace('"__VALUE__"', json);
      const token = await craftToken(STANDARD_HEADER, payload);

      const refusal = await refusalOf(token, "access", { now });

      expect(refusal.message).toBe(INVALID);
      expect(refusal.detail).toBe(`${claim} is not a number`);
    }
  });

  it("refuses an expired token, and honours JWT_LEEWAY past exp", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ exp: now - 5 }, now));

    expect((await refusalOf(token, "access", { now })).detail).toBe("expired");
    const claims = await readToken(token, "access", settings({ JWT_LEEWAY: "10" }), () => now);
    expect(claims.exp).toBe(now - 5);
  });

  it("refuses a token whose nbf is 5 s ahead with leeway 0 and accepts it with leeway 10", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ nbf: now + 5 }, now));

    const refusal = await refusalOf(token, "access", { now, overrides: { JWT_LEEWAY: "0" } });
    const claims = await readToken(token, "access", settings({ JWT_LEEWAY: "10" }), () => now);

    expect(refusal.detail).toBe("nbf is in the future");
    expect(claims.user_id).toBe(1);
  });

  it("refuses a token issued 5 s in the future with leeway 0 and accepts it with leeway 10", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ iat: now + 5 }, now));

    const refusal = await refusalOf(token, "access", { now, overrides: { JWT_LEEWAY: "0" } });
    const claims = await readToken(token, "access", settings({ JWT_LEEWAY: "10" }), () => now);

    expect(refusal.detail).toBe("iat is in the future");
    expect(claims.iat).toBe(now + 5);
  });

  it("verifies a token expiring after 2^31 at a clock just before 2^31, and expires it after", async () => {
    const boundary = 2 ** 31;
    const tokenSettings = settings();
    const claims = buildClaims(
      { type: "access", userId: 7, issuedAt: boundary - 100 },
      tokenSettings,
    );
    const token = await signClaims(claims, tokenSettings);
    expect(claims.exp).toBeGreaterThan(boundary);

    const before = await readToken(token, "access", tokenSettings, () => boundary - 1);
    const refusal = await refusalOf(token, "access", { now: claims.exp });
    const later = await refusalOf(token, "access", { now: boundary * 2 });

    expect(before.exp).toBe(claims.exp);
    expect(refusal.detail).toBe("expired");
    expect(later.detail).toBe("expired");
  });
});

describe("the other claims", () => {
  it("refuses a token of the other type at each endpoint's check", async () => {
    const access = await craftToken(STANDARD_HEADER, accessClaims());
    const refresh = await craftToken(STANDARD_HEADER, refreshClaims());

    expect((await refusalOf(refresh, "access")).refusal).toBe("wrong_type");
    expect((await refusalOf(access, "refresh")).refusal).toBe("wrong_type");
    expect(
      (
        await refusalOf(
          await craftToken(STANDARD_HEADER, accessClaims({ token_type: "id" })),
          "any",
        )
      ).refusal,
    ).toBe("wrong_type");
  });

  it("refuses a token without token_type or without jti, with SimpleJWT's messages", async () => {
    const untyped = await craftToken(STANDARD_HEADER, accessClaims({ token_type: undefined }));
    const anonymous = await craftToken(STANDARD_HEADER, accessClaims({ jti: undefined }));

    expect((await refusalOf(untyped)).message).toBe("Token has no type");
    expect((await refusalOf(anonymous)).message).toBe("Token has no id");
  });

  it.each([
    ['the string "1"', "1"],
    ["1.5", 1.5],
    ["0", 0],
    ["negative", -3],
    ["beyond the safe integers", 2 ** 53],
    ["null", null],
    ["missing", undefined],
  ])("refuses user_id %s", async (_what, userId) => {
    const token = await craftToken(STANDARD_HEADER, accessClaims({ user_id: userId }));

    const refusal = await refusalOf(token);

    expect(refusal.refusal).toBe("no_user");
    expect(refusal.message).toBe(NO_USER);
  });
});

/** Each endpoint that reads a token, with the body or header that carries it. */
const endpoints: { name: string; type: TokenType; send: (token: string) => Request }[] = [
  {
    name: "GET /api/restricted/",
    type: "access",
    send: (token) => get("/api/restricted/", `Bearer ${token}`),
  },
  {
    name: "POST /api/token/refresh/",
    type: "refresh",
    send: (token) => postJson("/api/token/refresh/", { refresh: token }),
  },
  {
    name: "POST /api/token/verify/",
    type: "refresh",
    send: (token) => postJson("/api/token/verify/", { token }),
  },
  {
    name: "POST /api/token/blacklist/",
    type: "refresh",
    send: (token) => postJson("/api/token/blacklist/", { refresh: token }),
  },
];

type Claims = Record<string, unknown>;

/** Bad tokens built from an endpoint's valid claims; each must be answered "invalid". */
const invalidTokens: [string, (claims: Claims) => Promise<string>][] = [
  [
    "two segments",
    async (claims) => (await craftToken(STANDARD_HEADER, claims)).split(".").slice(0, 2).join("."),
  ],
  ["padding appended", async (claims) => `${await craftToken(STANDARD_HEADER, claims)}=`],
  ["alg none", async (claims) => `${segment({ alg: "none" })}.${segment(claims)}.`],
  ["alg HS512", (claims) => craftToken({ alg: "HS512", typ: "JWT" }, claims)],
  ["alg hs256", (claims) => craftToken({ alg: "hs256", typ: "JWT" }, claims)],
  ["a crit header", (claims) => craftToken({ ...STANDARD_HEADER, crit: ["exp"] }, claims)],
  ["typ JWS", (claims) => craftToken({ alg: "HS256", typ: "JWS" }, claims)],
  ["another signing key", (claims) => craftToken(STANDARD_HEADER, claims, OTHER_KEY)],
  [
    "another key and no exp",
    (claims) => craftToken(STANDARD_HEADER, { ...claims, exp: undefined }, OTHER_KEY),
  ],
  [
    "exp as a string",
    (claims) => craftToken(STANDARD_HEADER, { ...claims, exp: String(claims.exp) }),
  ],
  [
    "exp of 1e400",
    (claims) =>
      craftToken(STANDARD_HEADER, JSON.stringify(claims).replace(/"exp":\d+/, '"exp":1e400')),
  ],
  ["an expired exp", (claims) => craftToken(STANDARD_HEADER, { ...claims, exp: 1_000_000_000 })],
  [
    "nbf 60 s ahead",
    (claims) => craftToken(STANDARD_HEADER, { ...claims, nbf: Date.now() / 1000 + 60 }),
  ],
  ["4097 characters", (claims) => tokenOfLength(claims, MAX_TOKEN_LENGTH + 1)],
  ["a payload that is not JSON", () => signSegments(segment(STANDARD_HEADER), segment("not json"))],
];

/** Checks a 401 in SimpleJWT's shape for the endpoint, with the given token message. */
async function expectTokenRefused(response: Response, endpoint: string, message: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.json();

  if (endpoint !== "GET /api/restricted/" || message === NO_USER) {
    expect(body).toEqual({ detail: message, code: "token_not_valid" });
    return;
  }
  expect(body).toEqual({
    detail: "Given token not valid for any token type",
    code: "token_not_valid",
    messages: [{ token_class: "AccessToken", token_type: "access", message }],
  });
}

describe.each(endpoints)("$name", (endpoint) => {
  const validClaims = () => (endpoint.type === "access" ? accessClaims() : refreshClaims());

  it.each(invalidTokens)("answers 401 token_not_valid for a token with %s", async (_what, make) => {
    const token = await make(validClaims());

    const response = await call(endpoint.send(token));

    await expectTokenRefused(response, endpoint.name, INVALID);
  });

  it("answers 401 with SimpleJWT's message for a token without exp", async () => {
    const token = await craftToken(STANDARD_HEADER, { ...validClaims(), exp: undefined });

    const response = await call(endpoint.send(token));

    await expectTokenRefused(response, endpoint.name, "Token has no 'exp' claim");
  });

  it('answers 401 for a user_id that is the string "1"', async () => {
    const token = await craftToken(STANDARD_HEADER, { ...validClaims(), user_id: "1" });

    const response = await call(endpoint.send(token));

    await expectTokenRefused(response, endpoint.name, NO_USER);
  });
});

describe("token types through the endpoints", () => {
  it("answers 401 wrong type for a refresh token on the restricted route", async () => {
    const token = await craftToken(STANDARD_HEADER, refreshClaims());

    const response = await call(get("/api/restricted/", `Bearer ${token}`));

    await expectTokenRefused(response, "GET /api/restricted/", "Token has wrong type");
  });

  it("answers 401 wrong type for an access token on refresh and blacklist", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());

    const refresh = await call(postJson("/api/token/refresh/", { refresh: token }));
    const blacklist = await call(postJson("/api/token/blacklist/", { refresh: token }));

    await expectTokenRefused(refresh, "POST /api/token/refresh/", "Token has wrong type");
    await expectTokenRefused(blacklist, "POST /api/token/blacklist/", "Token has wrong type");
  });

  it("answers 200 on the restricted route for a crafted access token with nothing wrong", async () => {
    const token = await craftToken(STANDARD_HEADER, accessClaims());

    const response = await call(get("/api/restricted/", `Bearer ${token}`));

    expect(response.status).toBe(200);
  });

  it("never calls verify for an over-long token sent to the restricted route", async () => {
    const token = await tokenOfLength(accessClaims(), MAX_TOKEN_LENGTH + 1);
    const verify = vi.spyOn(crypto.subtle, "verify");

    const response = await call(get("/api/restricted/", `Bearer ${token}`));

    await expectTokenRefused(response, "GET /api/restricted/", INVALID);
    expect(verify).not.toHaveBeenCalled();
  });
});
