// Brute-force throttling: per client address and per target username on login, per address on
// registration, DRF's 429 answer, the reset on success, and the cleanup of old counters.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hashPassword } from "../src/auth/passwords";
import { addressSubject, throttleLogin, throttleRegistration } from "../src/auth/throttle";
import { deleteExpiredThrottleCounters, deleteExpiredTokens } from "../src/cleanup";
import { database } from "../src/db/client";
import { insertUser } from "../src/db/users";
import { RequestError } from "../src/errors";
import type { RequestLog } from "../src/log";
import { parseSettings } from "../src/settings";
import { BASE, call, PASSWORD, uniqueName } from "./helpers";

/** Cheap hashing and small limits, so each test runs a handful of quick attempts. */
const LIMITS = {
  PASSWORD_HASH_ITERATIONS: "1000",
  THROTTLE_LOGIN_PER_IP: "3/1m",
  THROTTLE_LOGIN_PER_USERNAME: "1000/1m",
  THROTTLE_REGISTER_PER_IP: "2/1h",
};

const silentLog: RequestLog = { event: () => {} };

let ipCounter = 0;

/** A client address no other test uses. */
function uniqueIp(): string {
  ipCounter++;
  return `203.0.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

async function createCheapUser() {
  const username = uniqueName("throttled");
  const passwordHash = await hashPassword(PASSWORD, 1000);
  const user = await insertUser(database(env.DB), { username, email: "", passwordHash });
  return user!;
}

function loginFrom(ip: string, username: string, password: string, overrides = {}) {
  const request = new Request(`${BASE}/api/token/`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ username, password }),
  });
  return call(request, { ...LIMITS, ...overrides });
}

function registerFrom(ip: string, username: string, overrides = {}) {
  const request = new Request(`${BASE}/api/register/`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  return call(request, { ...LIMITS, ...overrides });
}

/** Checks DRF's 429 answer and returns the wait it announced. */
async function expectThrottled(response: Response, windowSeconds: number): Promise<number> {
  expect(response.status).toBe(429);
  const wait = Number(response.headers.get("retry-after"));
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(windowSeconds);
  expect(await response.json()).toEqual({
    detail: `Request was throttled. Expected available in ${wait} seconds.`,
  });
  return wait;
}

async function counterCount(): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from throttle_counters").first<{
    n: number;
  }>();
  return row!.n;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("login throttling per client address", () => {
  it("answers 429 with Retry-After after the limit, without hashing the password", async () => {
    const ip = uniqueIp();
    const user = await createCheapUser();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await loginFrom(ip, user.username, "wrong-password")).status).toBe(401);
    }
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");

    const throttled = await loginFrom(ip, user.username, PASSWORD);

    await expectThrottled(throttled, 60);
    expect(deriveBits).not.toHaveBeenCalled();
  });

  it("counts every address separately: another client is not affected", async () => {
    const busy = uniqueIp();
    for (let attempt = 0; attempt < 4; attempt++) await loginFrom(busy, uniqueName(), "x");
    const user = await createCheapUser();

    const other = await loginFrom(uniqueIp(), user.username, PASSWORD);

    expect((await loginFrom(busy, uniqueName(), "x")).status).toBe(429);
    expect(other.status).toBe(200);
  });

  it("counts the addresses of one IPv6 /64 together", async () => {
    const prefix = `2001:db8:${(ipCounter++).toString(16)}:1`;
    for (let host = 1; host <= 3; host++) await loginFrom(`${prefix}::${host}`, uniqueName(), "x");

    const sameNetwork = await loginFrom(`${prefix}:ffff:ffff:ffff:ffff`, uniqueName(), "x");
    const nextNetwork = await loginFrom(`${prefix.slice(0, -1)}2::1`, uniqueName(), "x");

    await expectThrottled(sameNetwork, 60);
    expect(nextNetwork.status).toBe(401);
  });
});

describe("login throttling per target username", () => {
  const perUsername = { THROTTLE_LOGIN_PER_IP: "1000/1m", THROTTLE_LOGIN_PER_USERNAME: "3/5m" };

  it("slows a distributed attack: many addresses, one username", async () => {
    const user = await createCheapUser();
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await loginFrom(uniqueIp(), user.username, "wrong", perUsername);
      expect(response.status).toBe(401);
    }

    const fromNewAddress = await loginFrom(uniqueIp(), user.username, PASSWORD, perUsername);

    await expectThrottled(fromNewAddress, 300);
  });

  it("leaves other usernames alone, from the same address", async () => {
    const ip = uniqueIp();
    const target = await createCheapUser();
    const bystander = await createCheapUser();
    for (let attempt = 0; attempt < 4; attempt++) {
      await loginFrom(ip, target.username, "wrong", perUsername);
    }

    const response = await loginFrom(ip, bystander.username, PASSWORD, perUsername);

    expect(response.status).toBe(200);
  });

  it("counts a username the way logins match it (NFKC-normalised, trimmed)", async () => {
    const base = uniqueName("ﬁle");
    for (let attempt = 0; attempt < 3; attempt++) {
      await loginFrom(uniqueIp(), ` ${base} `, "wrong", perUsername);
    }

    const response = await loginFrom(uniqueIp(), base.normalize("NFKC"), "wrong", perUsername);

    await expectThrottled(response, 300);
  });

  it("resets the username's counter after a successful login", async () => {
    const user = await createCheapUser();
    const attempt = (password: string) =>
      loginFrom(uniqueIp(), user.username, password, perUsername);
    await attempt("wrong");
    await attempt("wrong");
    expect((await attempt(PASSWORD)).status).toBe(200);

    const afterReset = [await attempt("wrong"), await attempt("wrong"), await attempt("wrong")];
    const fourth = await attempt("wrong");

    expect(afterReset.map((response) => response.status)).toEqual([401, 401, 401]);
    await expectThrottled(fourth, 300);
  });

  it("refuses a throttled login even with the right password", async () => {
    const user = await createCheapUser();
    for (let attempt = 0; attempt < 3; attempt++) {
      await loginFrom(uniqueIp(), user.username, "wrong", perUsername);
    }

    const response = await loginFrom(uniqueIp(), user.username, PASSWORD, perUsername);

    await expectThrottled(response, 300);
    const lastLogin = await env.DB.prepare("select last_login from users where id = ?")
      .bind(user.id)
      .first<{ last_login: number | null }>();
    expect(lastLogin!.last_login).toBeNull();
  });
});

describe("registration throttling per client address", () => {
  it("answers 429 after the limit, and creates no account", async () => {
    const ip = uniqueIp();
    expect((await registerFrom(ip, uniqueName("reg"))).status).toBe(201);
    expect((await registerFrom(ip, uniqueName("reg"))).status).toBe(201);
    const username = uniqueName("reg");

    const throttled = await registerFrom(ip, username);

    await expectThrottled(throttled, 3600);
    const row = await env.DB.prepare("select id from users where username = ?")
      .bind(username)
      .first();
    expect(row).toBeNull();
  });

  it("lets another address register", async () => {
    const ip = uniqueIp();
    for (let attempt = 0; attempt < 3; attempt++) await registerFrom(ip, uniqueName("reg"));

    const response = await registerFrom(uniqueIp(), uniqueName("reg"));

    expect(response.status).toBe(201);
  });

  it("is counted apart from login attempts from the same address", async () => {
    const ip = uniqueIp();
    for (let attempt = 0; attempt < 3; attempt++) await registerFrom(ip, uniqueName("reg"));

    const login = await loginFrom(ip, uniqueName(), "x");

    expect(login.status).toBe(401);
  });
});

describe("the fixed window", () => {
  const settings = parseSettings({ ...env, ...LIMITS });
  const db = database(env.DB);

  async function attemptAt(now: number, clientIp: string, username = uniqueName()) {
    return throttleLogin(db, settings, { clientIp, username }, silentLog, now).then(
      () => undefined,
      (error: unknown) => error as RequestError,
    );
  }

  it("announces the time left in the window, and opens a new window once it has passed", async () => {
    const ip = uniqueIp();
    const start = 2_000_000_000;
    for (let second = 0; second < 3; second++)
      expect(await attemptAt(start + second, ip)).toBe(undefined);

    const throttled = await attemptAt(start + 20, ip);
    const lastSecond = await attemptAt(start + 59, ip);
    const nextWindow = await attemptAt(start + 60, ip);

    expect(throttled?.status).toBe(429);
    expect(throttled?.headers).toEqual({ "Retry-After": "40" });
    expect(lastSecond?.detail).toBe("Request was throttled. Expected available in 1 second.");
    expect(nextWindow).toBe(undefined);
  });

  it("counts registrations in their own window", async () => {
    const ip = uniqueIp();
    const now = 2_100_000_000;
    const attempt = () => throttleRegistration(db, settings, ip, silentLog, now);
    await attempt();
    await attempt();

    await expect(attempt()).rejects.toMatchObject({
      status: 429,
      headers: { "Retry-After": "3600" },
    });
  });
});

describe("cleanup of throttle counters", () => {
  const settings = parseSettings({ ...env, ...LIMITS });
  const db = database(env.DB);

  it("deletes counters whose window has passed and keeps the others", async () => {
    const before = await counterCount();
    const now = 2_200_000_000;
    await throttleLogin(
      db,
      settings,
      { clientIp: uniqueIp(), username: uniqueName() },
      silentLog,
      now - 120,
    );
    await throttleLogin(
      db,
      settings,
      { clientIp: uniqueIp(), username: uniqueName() },
      silentLog,
      now,
    );
    expect(await counterCount()).toBe(before + 4);

    const deleted = await deleteExpiredThrottleCounters(db, now);

    expect(deleted).toBeGreaterThanOrEqual(2);
    const live = await env.DB.prepare(
      "select count(*) as n from throttle_counters where expires_at > ?",
    )
      .bind(now)
      .first<{ n: number }>();
    expect(live!.n).toBeGreaterThanOrEqual(2);
    expect(await counterCount()).toBe(live!.n);
  });

  it("runs as part of the scheduled cleanup", async () => {
    const now = 2_300_000_000;
    await throttleLogin(
      db,
      settings,
      { clientIp: uniqueIp(), username: uniqueName() },
      silentLog,
      now,
    );

    const before = await counterCount();

    await deleteExpiredTokens(db, now + 3600);

    const expired = await env.DB.prepare(
      "select count(*) as n from throttle_counters where expires_at <= ?",
    )
      .bind(now + 3600)
      .first<{ n: number }>();
    expect(expired!.n).toBe(0);
    expect(await counterCount()).toBeLessThanOrEqual(before - 2);
  });

  it("stores digests, never the username or the address in clear", async () => {
    const username = uniqueName("secretish");
    const clientIp = uniqueIp();
    await throttleLogin(db, settings, { clientIp, username }, silentLog, 2_400_000_000);

    const rows = await env.DB.prepare("select key from throttle_counters").all<{ key: string }>();

    const keys = rows.results.map((row) => row.key).join("\n");
    expect(keys).not.toContain(username);
    expect(keys).not.toContain(clientIp);
    expect(keys).toMatch(/^login_per_username:[A-Za-z0-9_-]{43}$/m);
  });
});

describe("addressSubject", () => {
  it.each([
    ["198.51.100.7", "198.51.100.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:DB8:0001:0002::9", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::ffff:198.51.100.7", "198.51.100.7"],
    ["unknown", "unknown"],
  ])("counts %s as %s", (ip, subject) => {
    expect(addressSubject(ip)).toBe(subject);
  });
});
