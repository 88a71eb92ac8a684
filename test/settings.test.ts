import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { decodeBase64Url } from "../src/auth/base64url";
import { buildClaims, signClaims, systemClock, type TokenClaims } from "../src/auth/tokens";
import { DEFAULTS, parseSettings, SettingsError } from "../src/settings";
import { BASE, call, createUser, expect401, get, login, postJson, type Overrides } from "./helpers";

/** One bad value per setting; each is distinctive so a leak into the answer would show. */
const BAD_SETTINGS: [string, string][] = [
  ["JWT_SIGNING_KEY", "short-key-zq81"],
  ["JWT_SIGNING_KEY", ""],
  ["JWT_VERIFYING_KEYS", "old-but-too-short-zq82"],
  ["ACCESS_TOKEN_LIFETIME", "five-minutes-zq83"],
  ["ACCESS_TOKEN_LIFETIME", "0"],
  ["REFRESH_TOKEN_LIFETIME", "-86400"],
  ["JWT_LEEWAY", "a-little-zq84"],
  ["AUTH_USER_CHECK", "sometimes-zq85"],
  ["ROTATE_REFRESH_TOKENS", "perhaps-zq86"],
  ["BLACKLIST_AFTER_ROTATION", "definitely-zq87"],
  ["REFRESH_GRACE_SECONDS", "ten-zq88"],
  ["AUTH_HEADER_TYPES", "Bearer Token"],
  ["PASSWORD_HASH_ITERATIONS", "99999999"],
  ["PASSWORD_HASH_ITERATIONS", "999"],
  ["PASSWORD_HASH_ITERATIONS", "lots-zq89"],
  ["CORS_ALLOWED_ORIGINS", "https://app.zq90.example/path"],
  ["CORS_ALLOWED_ORIGINS", "*"],
  ["THROTTLE_LOGIN_PER_IP", "many-zq91/1m"],
  ["THROTTLE_LOGIN_PER_USERNAME", "10/forever-zq92"],
  ["THROTTLE_REGISTER_PER_IP", "0/1h"],
  ["THROTTLE_LOGIN_PER_IP", "0x10/1m"],
  ["JWT_LEEWAY", "1d"],
  ["REFRESH_GRACE_SECONDS", "1h"],
  ["CORS_ALLOWED_ORIGINS", "https://App.zq93.example"],
  ["PASSWORD_HASH_ITERATIONS", "6e5"],
];

function misconfiguredBody(names: string[]) {
  return {
    detail: `The server is misconfigured: invalid settings ${names.join(", ")}.`,
    code: "invalid_settings",
    request_id: expect.any(String),
  };
}

/** Sends several requests through one env object, as one isolate would see them. */
async function callWithEnv(request: Request, testEnv: object): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, testEnv as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function mint(overrides: Overrides, claims: Partial<TokenClaims>, userId: number) {
  const settings = parseSettings({ ...env, ...overrides });
  const options = { type: "access" as const, userId, issuedAt: systemClock() };
  const built = { ...buildClaims(options, settings), ...claims };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete (built as Record<string, unknown>)[name];
  }
  return signClaims(built, settings);
}

function claimsOf(token: string): Record<string, unknown> {
  const bytes = decodeBase64Url(token.split(".")[1]!);
  return JSON.parse(new TextDecoder().decode(bytes!));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bad settings", () => {
  beforeEach(() => {
    // The Worker reports each bad set once on stderr; keep the test output readable.
    vi.spyOn(console, "error").mockImplementation(() => {});
  });

  it.each(BAD_SETTINGS)(
    "answers 500 invalid_settings naming %s without its value",
    async (name, value) => {
      const response = await call(get("/api/restricted/"), { [name]: value });

      const text = await response.text();
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(JSON.parse(text)).toEqual(misconfiguredBody([name]));
      if (value.length > 3) expect(text).not.toContain(value);
    },
  );

  it("names every bad setting at once, in one answer", async () => {
    const overrides = { AUTH_USER_CHECK: "never", JWT_SIGNING_KEY: "tiny", JWT_LEEWAY: "x" };

    const response = await call(get("/api/restricted/"), overrides);

    expect(response.status).toBe(500);
    const body = (await response.json()) as { detail: string };
    for (const name of Object.keys(overrides)) expect(body.detail).toContain(name);
  });

  it("answers every request with the 500, whatever its path, method or body", async () => {
    const overrides = { JWT_SIGNING_KEY: "too-short-zq93" };
    const requests = [
      postJson("/api/token/", { username: "someone", password: "Correct-Horse-Battery-9" }),
      postJson("/api/register/", {}),
      get("/api/admin/users/"),
      get("/api/does-not-exist/"),
      new Request(`${BASE}/api/token/`, { method: "DELETE" }),
    ];

    for (const request of requests) {
      const response = await call(request, overrides);

      expect(response.status).toBe(500);
      expect(await response.json()).toEqual(misconfiguredBody(["JWT_SIGNING_KEY"]));
    }
  });

  it("logs the bad names once per isolate and never the values", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const isolateEnv = { ...env, JWT_LEEWAY: "eventually-zq94", AUTH_HEADER_TYPES: "" };

    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await callWithEnv(get("/api/restricted/"), isolateEnv);
      expect(response.status).toBe(500);
    }

    const lines = errors.mock.calls.map((args) => String(args[0]));
    const reports = lines.filter((line) => line.includes("server.invalid_settings"));
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0]!)).toMatchObject({
      level: "error",
      event: "server.invalid_settings",
      settings: ["JWT_LEEWAY", "AUTH_HEADER_TYPES"],
    });
    expect(lines.join("\n")).not.toContain("eventually-zq94");
    expect(lines.join("\n")).not.toContain(env.JWT_SIGNING_KEY);
  });

  it("lists bad names in SettingsError without any value", () => {
    const parse = () => parseSettings({ JWT_SIGNING_KEY: "secret-but-short", JWT_LEEWAY: "1y" });

    expect(parse).toThrow(SettingsError);
    try {
      parse();
    } catch (error) {
      expect((error as SettingsError).names).toEqual(["JWT_SIGNING_KEY", "JWT_LEEWAY"]);
      expect((error as Error).message).not.toContain("secret-but-short");
    }
  });
});

describe("the settings table", () => {
  it("parses every default, so an unset var never fails", () => {
    const settings = parseSettings({ JWT_SIGNING_KEY: env.JWT_SIGNING_KEY });

    expect(settings).toMatchObject({
      accessTokenLifetime: 300,
      refreshTokenLifetime: 86400,
      leeway: 0,
      userCheck: "stateless",
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      refreshGraceSeconds: 10,
      authHeaderTypes: ["Bearer"],
      passwordHashIterations: 600000,
      corsAllowedOrigins: [],
      verifyingKeys: [],
      issuer: undefined,
      audience: undefined,
    });
    expect(Object.keys(DEFAULTS)).toContain("PASSWORD_HASH_ITERATIONS");
  });

  it("reads a number given as a TOML number the same as its text", () => {
    const settings = parseSettings({ JWT_SIGNING_KEY: env.JWT_SIGNING_KEY, JWT_LEEWAY: 30 });

    expect(settings.leeway).toBe(30);
  });

  it("accepts lifetimes with units and origins without a path", () => {
    const settings = parseSettings({
      JWT_SIGNING_KEY: env.JWT_SIGNING_KEY,
      ACCESS_TOKEN_LIFETIME: "5m",
      REFRESH_TOKEN_LIFETIME: "7d",
      CORS_ALLOWED_ORIGINS: "https://app.example, http://localhost:5173",
    });

    expect(settings.accessTokenLifetime).toBe(300);
    expect(settings.refreshTokenLifetime).toBe(7 * 86400);
    expect(settings.corsAllowedOrigins).toEqual(["https://app.example", "http://localhost:5173"]);
  });
});

describe("ISSUER and AUDIENCE", () => {
  const ISSUED = { ISSUER: "https://auth.example", AUDIENCE: "blog-api" };

  it("puts iss and aud into issued tokens and accepts them back", async () => {
    const user = await createUser();

    const tokens = await login(user.username, user.password, ISSUED);
    const response = await call(get("/api/restricted/", `Bearer ${tokens.access}`), ISSUED);

    expect(response.status).toBe(200);
    const payload = claimsOf(tokens.access);
    expect(payload).toMatchObject({ iss: "https://auth.example", aud: "blog-api" });
  });

  it("issues neither claim when they are not set", async () => {
    const user = await createUser();

    const tokens = await login(user.username, user.password);

    const payload = claimsOf(tokens.access);
    expect(payload).not.toHaveProperty("iss");
    expect(payload).not.toHaveProperty("aud");
  });

  it.each([
    ["another issuer", { iss: "https://elsewhere.example" }],
    ["no issuer", { iss: undefined }],
    ["another audience", { aud: "other-api" }],
    ["no audience", { aud: undefined }],
  ])("refuses an access token with %s when both are set", async (_label, claims) => {
    const user = await createUser();
    const token = await mint(ISSUED, claims, user.id);

    const response = await call(get("/api/restricted/", `Bearer ${token}`), ISSUED);

    const body = await expect401(response);
    expect(body.code).toBe("token_not_valid");
    expect(body.messages).toEqual([
      { token_class: "AccessToken", token_type: "access", message: "Token is invalid or expired" },
    ]);
  });

  it("refuses a token minted without them once ISSUER is set, at verify too", async () => {
    const user = await createUser();
    const token = await mint({}, {}, user.id);

    const response = await call(postJson("/api/token/verify/", { token }), {
      ISSUER: "https://auth.example",
    });

    const body = await expect401(response);
    expect(body).toEqual({ detail: "Token is invalid or expired", code: "token_not_valid" });
  });

  it("accepts an aud list that contains the audience", async () => {
    const user = await createUser();
    const token = await mint(ISSUED, { aud: ["other-api", "blog-api"] as never }, user.id);

    const response = await call(get("/api/restricted/", `Bearer ${token}`), ISSUED);

    expect(response.status).toBe(200);
  });
});
