// The security log: one JSON line per event, with the request id, the client address, the user
// id when known and a reason, and never a password, a token, a hash or the signing key.

import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeBase64Url } from "../src/auth/base64url";
import { BASE, call, createUser, PASSWORD } from "./helpers";

const CLIENT_IP = "198.51.100.23";
const NEW_PASSWORD = "Another-Long-Passphrase-42";

interface LogLine {
  level: string;
  event: string;
  time: string;
  request_id?: string;
  client_ip?: string;
  user_id?: number;
  reason?: string;
  [field: string]: unknown;
}

let lines: string[] = [];

beforeEach(() => {
  lines = [];
  for (const method of ["log", "warn", "error", "info", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

let requestCounter = 0;

/** A request as a client behind Cloudflare sends it, trying to choose its own request id. */
function request(path: string, init: { body?: unknown; authorization?: string } = {}) {
  requestCounter++;
  const headers: Record<string, string> = {
    "cf-connecting-ip": CLIENT_IP,
    "x-request-id": `client-chosen-${requestCounter}`,
  };
  if (init.authorization) headers.authorization = init.authorization;
  if (init.body !== undefined) headers["content-type"] = "application/json";

  const method = init.body === undefined && !path.includes("/all/") ? "GET" : "POST";
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return { request: new Request(BASE + path, { method, headers, body }) };
}

/** Sends a request; the id is the one the server chose and answered with. */
async function send(attempt: { request: Request }) {
  const response = await call(attempt.request);
  return { response, id: response.headers.get("x-request-id") };
}

/** Every console line so far, each parsed as one JSON object (the test fails otherwise). */
function parsedLines(): LogLine[] {
  return lines.map((line) => {
    expect(line).not.toContain("\n");
    return JSON.parse(line) as LogLine;
  });
}

function eventsNamed(name: string): LogLine[] {
  return parsedLines().filter((line) => line.event === name);
}

async function storedHash(id: number): Promise<string> {
  const row = await env.DB.prepare("select password_hash from users where id = ?")
    .bind(id)
    .first<{ password_hash: string }>();
  return row!.password_hash;
}

async function loginPair(username: string, password = PASSWORD) {
  const { request: login } = request("/api/token/", { body: { username, password } });
  const response = await call(login);
  expect(response.status).toBe(200);
  return (await response.json()) as { access: string; refresh: string };
}

function jtiOf(token: string): string {
  const payload = decodeBase64Url(token.split(".")[1]!)!;
  return (JSON.parse(new TextDecoder().decode(payload)) as { jti: string }).jti;
}

describe("auth.login_failed", () => {
  it("is logged for a wrong password with the request id, address, user id and reason", async () => {
    const user = await createUser();
    const attempt = request("/api/token/", {
      body: { username: user.username, password: "wrong-password-123" },
    });

    const { response, id } = await send(attempt);

    expect(response.status).toBe(401);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.join("\n")).not.toContain("client-chosen-");
    expect(eventsNamed("auth.login_failed")).toHaveLength(1);
    const [line] = eventsNamed("auth.login_failed");
    expect(line).toMatchObject({
      level: "warn",
      request_id: id,
      client_ip: CLIENT_IP,
      user_id: user.id,
      reason: "password_mismatch",
    });
    expect(lines.join("\n")).not.toContain("wrong-password-123");
  });

  it("is logged for an unknown username without a user id and without the username", async () => {
    const attempt = request("/api/token/", {
      body: { username: "no-such-person-xyz", password: "wrong-password-123" },
    });

    const { id } = await send(attempt);

    const [line] = eventsNamed("auth.login_failed");
    expect(line).toMatchObject({
      request_id: id,
      client_ip: CLIENT_IP,
      reason: "unknown_user",
    });
    expect(line).not.toHaveProperty("user_id");
    expect(lines.join("\n")).not.toContain("no-such-person-xyz");
  });
});

describe("auth.throttled", () => {
  it("is logged with the counter that refused and the wait", async () => {
    const limits = { THROTTLE_LOGIN_PER_IP: "1/1m", PASSWORD_HASH_ITERATIONS: "1000" };
    const ip = "198.51.100.99";
    const send = () =>
      call(
        new Request(`${BASE}/api/token/`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "cf-connecting-ip": ip,
          },
          body: JSON.stringify({ username: "someone", password: "guess-number-1" }),
        }),
        limits,
      );
    await send();

    const response = await send();

    expect(response.status).toBe(429);
    const [line] = eventsNamed("auth.throttled");
    expect(line).toMatchObject({
      level: "warn",
      request_id: response.headers.get("x-request-id"),
      client_ip: ip,
      reason: "login_per_ip",
      retry_after: Number(response.headers.get("retry-after")),
    });
    expect(lines.join("\n")).not.toContain("guess-number-1");
  });
});

describe("session events", () => {
  it("logs refresh-token reuse, logout everywhere and a password change, and never a secret", async () => {
    const user = await createUser();
    const first = await loginPair(user.username);
    const rotate = request("/api/token/refresh/", { body: { refresh: first.refresh } });
    const rotated = (await (await call(rotate.request)).json()) as {
      access: string;
      refresh: string;
    };
    // The rotation happened long enough ago that a second use cannot be a client's retry.
    await env.DB.prepare("update refresh_tokens set retired_at = retired_at - 3600 where jti = ?")
      .bind(jtiOf(first.refresh))
      .run();
    const reuse = await send(request("/api/token/refresh/", { body: { refresh: first.refresh } }));
    expect(reuse.response.status).toBe(401);
    const second = await loginPair(user.username);
    const hashBefore = await storedHash(user.id);
    const change = await send(
      request("/api/password/change/", {
        authorization: `Bearer ${second.access}`,
        body: { old_password: PASSWORD, new_password: NEW_PASSWORD },
      }),
    );
    expect(change.response.status).toBe(200);
    const third = await loginPair(user.username, NEW_PASSWORD);
    const logout = await send(
      request("/api/logout/all/", { authorization: `Bearer ${third.access}` }),
    );
    expect(logout.response.status).toBe(200);

    const reuseLine = eventsNamed("auth.refresh_token_reuse")[0];
    const changeLine = eventsNamed("auth.password_changed")[0];
    const logoutLine = eventsNamed("auth.logout_everywhere")[0];
    expect(reuseLine).toMatchObject({
      level: "warn",
      request_id: reuse.id,
      client_ip: CLIENT_IP,
      user_id: user.id,
    });
    expect(changeLine).toMatchObject({
      request_id: change.id,
      client_ip: CLIENT_IP,
      user_id: user.id,
    });
    expect(logoutLine).toMatchObject({
      request_id: logout.id,
      client_ip: CLIENT_IP,
      user_id: user.id,
    });

    const tokens = [first, rotated, second, third].flatMap((pair) => Object.values(pair));
    const hashes = [hashBefore, await storedHash(user.id)];
    const secrets = [
      PASSWORD,
      NEW_PASSWORD,
      env.JWT_SIGNING_KEY,
      ...tokens,
      // A token's signature or a hash's salt and digest alone are not logged either.
      ...tokens.map((token) => token.split(".")[2]!),
      ...hashes,
      ...hashes.flatMap((hash) => hash.split("$").slice(-2)),
    ];
    const everything = lines.join("\n");
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const line of parsedLines()) {
      expect(line).toHaveProperty("event");
      expect(line).toHaveProperty("time");
    }
  });
});
