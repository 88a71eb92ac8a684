// The Authorization header on the restricted route: scheme matching, shape, size, and the
// configured header types, each answered as SimpleJWT's JWTAuthentication answers it.

import { describe, expect, it } from "vitest";
import { STANDARD_HEADER, accessClaims, craftToken } from "./craft-token";
import { call, get } from "./helpers";

const NOT_PROVIDED = { detail: "Authentication credentials were not provided." };
const BAD_HEADER = {
  detail: "Authorization header must contain two space-delimited values",
  code: "bad_authorization_header",
};

function validToken() {
  return craftToken(STANDARD_HEADER, accessClaims());
}

async function restricted(authorization: string | undefined, overrides = {}) {
  return call(get("/api/restricted/", authorization), overrides);
}

/** The body of a 401 after checking its challenge header. */
async function body401(response: Response, scheme = "Bearer") {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe(`${scheme} realm="api"`);
  return response.json();
}

describe("the Authorization scheme", () => {
  it.each(["Bearer", "bearer", "BEARER", "bEaReR"])(
    "accepts the scheme spelled %s",
    async (scheme) => {
      const response = await restricted(`${scheme} ${await validToken()}`);

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        message: "You have access to this restricted content.",
      });
    },
  );

  it("accepts surrounding whitespace and a tab between scheme and token", async () => {
    const token = await validToken();

    const response = await restricted(`  Bearer\t${token}  `);

    expect(response.status).toBe(200);
  });

  it.each(["Basic dXNlcjpwYXNz", "Token abc", "JWT abc", "Bearerx abc", "Digest a b c"])(
    "answers 401 not provided for another scheme (%s)",
    async (header) => {
      const response = await restricted(header);

      expect(await body401(response)).toEqual(NOT_PROVIDED);
    },
  );

  it("answers 401 not provided for no header and for an empty one", async () => {
    const missing = await restricted(undefined);
    const empty = await call(
      new Request("http://api.test/api/restricted/", { headers: { authorization: "" } }),
    );
    const blank = await restricted("   ");

    expect(await body401(missing)).toEqual(NOT_PROVIDED);
    expect(await body401(empty)).toEqual(NOT_PROVIDED);
    expect(await body401(blank)).toEqual(NOT_PROVIDED);
  });
});

describe("the Authorization header's shape", () => {
  it("answers 401 bad_authorization_header for the scheme alone", async () => {
    for (const header of ["Bearer", "bearer  ", "BEARER"]) {
      expect(await body401(await restricted(header))).toEqual(BAD_HEADER);
    }
  });

  it("answers 401 bad_authorization_header for more than two parts", async () => {
    const token = await validToken();

    for (const header of [`Bearer ${token} extra`, `Bearer a b`, `Bearer ${token} ${token}`]) {
      expect(await body401(await restricted(header))).toEqual(BAD_HEADER);
    }
  });

  it("answers 401 for an oversized header, without reading the token", async () => {
    const response = await restricted(`Bearer ${"a".repeat(10_000)}`);

    expect(await body401(response)).toEqual(BAD_HEADER);
  });

  it("answers 401 for an oversized header in another scheme too", async () => {
    const response = await restricted(`Basic ${"a".repeat(10_000)}`);

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });
});

describe("AUTH_HEADER_TYPES", () => {
  const both = { AUTH_HEADER_TYPES: "JWT,Bearer" };

  it("accepts every configured scheme", async () => {
    const token = await validToken();

    const jwt = await restricted(`JWT ${token}`, both);
    const bearer = await restricted(`Bearer ${token}`, both);
    const lower = await restricted(`jwt ${token}`, both);

    expect([jwt.status, bearer.status, lower.status]).toEqual([200, 200, 200]);
  });

  it("names the first configured scheme in WWW-Authenticate", async () => {
    const response = await restricted(undefined, both);

    expect(await body401(response, "JWT")).toEqual(NOT_PROVIDED);
  });

  it("names the first scheme on a bad token too", async () => {
    const response = await restricted("Bearer not-a-token", both);

    const body = await body401(response, "JWT");
    expect(body).toMatchObject({ code: "token_not_valid" });
  });

  it("answers not provided for Bearer when only JWT is configured", async () => {
    const token = await validToken();

    const response = await restricted(`Bearer ${token}`, { AUTH_HEADER_TYPES: "JWT" });

    expect(await body401(response, "JWT")).toEqual(NOT_PROVIDED);
  });
});
