// Password hashing: Django's pbkdf2_sha256 format and our chained format agree with an
// independent PBKDF2 (node:crypto), no single call passes the runtime's cap, unreadable hashes
// cost no work, and logins re-hash to the configured parameters.

import { pbkdf2Sync } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkPassword,
  derive,
  hashPassword,
  needsRehash,
  parseStoredHash,
  planWork,
} from "../src/auth/passwords";
import { parseSettings, RUNTIME_PBKDF2_CAP } from "../src/settings";
import {
  call,
  createUser,
  createUserWithHash,
  expect401,
  postJson,
  readUserRow,
  settingsFor,
  uniqueName,
} from "./helpers";

const PASSWORD = "Granite-Meadow-Lantern-7";
const DJANGO_HASH = /^pbkdf2_sha256\$(\d+)\$([^$]+)\$([A-Za-z0-9+/]{43}=)$/;
const CHAINED_HASH =
  /^pbkdf2_sha256_chained\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9+/]{43}=)$/;

/** PBKDF2-HMAC-SHA256 as Node computes it, independent of Web Crypto. */
function nodePbkdf2(secret: string | Buffer, salt: string, iterations: number): Buffer {
  return pbkdf2Sync(secret, salt, iterations, 32, "sha256");
}

/** The chained scheme written out with node:crypto: round n is keyed with round n-1's output. */
function nodeChained(password: string, salt: string, iterations: number, rounds: number) {
  let output = nodePbkdf2(password, salt, iterations);
  for (let round = 1; round < rounds; round++) {
    output = nodePbkdf2(output, `${salt}$${round}`, iterations);
  }
  return output;
}

function djangoHash(password: string, salt: string, iterations: number): string {
  const hash = nodePbkdf2(password, salt, iterations).toString("base64");
  return `pbkdf2_sha256$${iterations}$${salt}$${hash}`;
}

/** Records the iteration count of every PBKDF2 call made through Web Crypto. */
function watchPbkdf2() {
  const spy = vi.spyOn(crypto.subtle, "deriveBits");
  return () =>
    spy.mock.calls.map(([algorithm]) => (algorithm as { iterations?: number }).iterations);
}

function loginRequest(username: string, password = PASSWORD) {
  return postJson("/api/token/", { username, password });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("PBKDF2 test vectors", () => {
  it("agrees with the published PBKDF2-HMAC-SHA256 vector for 4096 iterations", async () => {
    const expected = "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a";
    const stored = `pbkdf2_sha256$4096$salt$${Buffer.from(expected, "hex").toString("base64")}`;

    expect(nodePbkdf2("password", "salt", 4096).toString("hex")).toBe(expected);
    expect(await checkPassword("password", stored)).toBe("match");
    expect(await checkPassword("passwore", stored)).toBe("mismatch");
  });

  it("verifies a Django-format hash computed with node:crypto", async () => {
    const stored = djangoHash("lètmein ünïcode", "Django1SaltValue", 20_000);

    expect(await checkPassword("lètmein ünïcode", stored)).toBe("match");
    expect(await checkPassword("letmein unicode", stored)).toBe("mismatch");
  });

  it("derives the chained scheme exactly as repeated node:crypto PBKDF2 calls do", async () => {
    const derived = await derive(PASSWORD, "chainSalt", 1500, 4);

    expect(Buffer.from(derived).equals(nodeChained(PASSWORD, "chainSalt", 1500, 4))).toBe(true);
  });

  it("writes a chained hash that node:crypto reproduces from its own parameters", async () => {
    const stored = await hashPassword(PASSWORD, 200_001);

    const [, iterations, rounds, salt, hash] = CHAINED_HASH.exec(stored)!;
    expect([Number(iterations), Number(rounds)]).toEqual([66_667, 3]);
    expect(nodeChained(PASSWORD, salt!, 66_667, 3).toString("base64")).toBe(hash);
  });

  it("writes a Django hash, readable by Django, when the work fits one call", async () => {
    const stored = await hashPassword(PASSWORD, 30_000);

    const [, iterations, salt, hash] = DJANGO_HASH.exec(stored)!;
    expect(iterations).toBe("30000");
    expect(nodePbkdf2(PASSWORD, salt!, 30_000).toString("base64")).toBe(hash);
  });
});

describe("the runtime's 100,000-iteration PBKDF2 cap", () => {
  it("pins the cap and the default work factor's plan", () => {
    const defaults = parseSettings({ JWT_SIGNING_KEY: "x".repeat(32) });

    expect(RUNTIME_PBKDF2_CAP).toBe(100_000);
    expect(defaults.passwordHashIterations).toBe(600_000);
    expect(settingsFor().passwordHashIterations).toBe(600_000);
    expect(planWork(600_000)).toEqual({ iterations: 100_000, rounds: 6 });
  });

  it.each([1000, 99_999, 100_000, 100_001, 260_000, 600_000, 999_999, 2_000_000])(
    "plans a total of %i as calls within the cap that do at least that much work",
    (total) => {
      const { iterations, rounds } = planWork(total);

      expect(iterations).toBeLessThanOrEqual(RUNTIME_PBKDF2_CAP);
      expect(iterations * rounds).toBeGreaterThanOrEqual(total);
      expect(rounds).toBe(Math.ceil(total / RUNTIME_PBKDF2_CAP));
    },
  );

  it("stores the default work as six chained rounds of 100,000", async () => {
    const stored = await hashPassword(PASSWORD, settingsFor().passwordHashIterations);

    expect(stored).toMatch(CHAINED_HASH);
    expect(stored.startsWith("pbkdf2_sha256_chained$100000$6$")).toBe(true);
  });

  it("never makes a single PBKDF2 call above the cap during a login with default settings", async () => {
    const user = await createUser();
    const calls = watchPbkdf2();

    const known = await call(loginRequest(user.username, user.password));
    const unknown = await call(loginRequest(uniqueName("ghost")));

    expect(known.status).toBe(200);
    await expect401(unknown);
    expect(calls()).toEqual(Array(12).fill(100_000));
  });
});

describe("stored hashes that cannot be used", () => {
  const b64 = Buffer.alloc(32, 7).toString("base64");
  const unusable = [
    "",
    "!unusable-django-password",
    "plain text",
    "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99",
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
    `pbkdf2_sha256$abc$salt$${b64}`,
    `pbkdf2_sha256$0$salt$${b64}`,
    `pbkdf2_sha256$-5$salt$${b64}`,
    `pbkdf2_sha256$1e5$salt$${b64}`,
    `pbkdf2_sha256$999$salt$${b64}`,
    `pbkdf2_sha256$20000000$salt$${b64}`,
    `pbkdf2_sha256$99999999999$salt$${b64}`,
    `pbkdf2_sha256$20000$$${b64}`,
    `pbkdf2_sha256$20000$salt$not-base64!`,
    `pbkdf2_sha256$20000$salt$${Buffer.alloc(16).toString("base64")}`,
    `pbkdf2_sha256$20000$salt$${b64}$extra`,
    `pbkdf2_sha256_chained$200000$3$salt$${b64}`,
    `pbkdf2_sha256_chained$50000$0$salt$${b64}`,
    `pbkdf2_sha256_chained$50000$21$salt$${b64}`,
    `pbkdf2_sha256_chained$50000$salt$${b64}`,
  ];

  it.each(unusable)("reads %j as unusable without any PBKDF2 work", async (stored) => {
    const calls = watchPbkdf2();

    const outcome = await checkPassword(PASSWORD, stored);

    expect(outcome).toBe("unusable");
    expect(parseStoredHash(stored)).toBeUndefined();
    expect(calls()).toEqual([]);
  });

  it("answers a login to an account with an unusable hash like any failed login, at the decoy's cost", async () => {
    const user = await createUserWithHash("!unusable-django-password");
    const calls = watchPbkdf2();

    const response = await call(loginRequest(user.username));

    expect(await expect401(response)).toEqual({
      detail: "No active account found with the given credentials",
    });
    expect(calls()).toEqual(Array(6).fill(100_000));
  });
});

describe("a Django hash with more iterations than one call may do", () => {
  it("is reported as too costly without doing any of the work", async () => {
    const stored = djangoHash(PASSWORD, "legacySalt260k", 260_000);
    const calls = watchPbkdf2();

    const outcome = await checkPassword(PASSWORD, stored);

    expect(outcome).toBe("too_costly");
    expect(calls()).toEqual([]);
  });

  it("answers the right password with 401 password_reset_required and records no login", async () => {
    const user = await createUserWithHash(djangoHash(PASSWORD, "legacySalt260k", 260_000));

    const response = await call(loginRequest(user.username));

    expect(await expect401(response)).toEqual({
      detail: "This account's password must be reset before it can log in.",
      code: "password_reset_required",
    });
    expect((await readUserRow(user.id))?.last_login).toBeNull();
  });
});

describe("re-hashing on login", () => {
  it("logs in with an imported Django 100,000-iteration hash and upgrades it to the configured work", async () => {
    const imported = djangoHash(PASSWORD, "importedSalt", 100_000);
    const user = await createUserWithHash(imported);

    const first = await call(loginRequest(user.username));
    const afterFirst = await readUserRow(user.id);
    const second = await call(loginRequest(user.username));
    const afterSecond = await readUserRow(user.id);

    expect(first.status).toBe(200);
    expect(afterFirst?.password_hash).not.toBe(imported);
    expect(afterFirst?.password_hash.startsWith("pbkdf2_sha256_chained$100000$6$")).toBe(true);
    expect(afterFirst?.last_login).not.toBeNull();
    expect(second.status).toBe(200);
    expect(afterSecond?.password_hash).toBe(afterFirst?.password_hash);
  });

  it("re-hashes a password made with other parameters than PASSWORD_HASH_ITERATIONS", async () => {
    const user = await createUser();
    const configured = { PASSWORD_HASH_ITERATIONS: "200000" };
    const before = await readUserRow(user.id);

    const first = await call(loginRequest(user.username, user.password), configured);
    const after = await readUserRow(user.id);
    const again = await call(loginRequest(user.username, user.password), configured);

    expect(first.status).toBe(200);
    expect(before?.password_hash.startsWith("pbkdf2_sha256_chained$100000$6$")).toBe(true);
    expect(after?.password_hash.startsWith("pbkdf2_sha256_chained$100000$2$")).toBe(true);
    expect(needsRehash(after!.password_hash, 200_000)).toBe(false);
    expect(again.status).toBe(200);
    expect((await readUserRow(user.id))?.password_hash).toBe(after?.password_hash);
  });

  it("leaves the hash alone after a failed login", async () => {
    const imported = djangoHash(PASSWORD, "failedSalt", 20_000);
    const user = await createUserWithHash(imported);

    const response = await call(loginRequest(user.username, "Not-The-Password-1"));

    await expect401(response);
    expect((await readUserRow(user.id))?.password_hash).toBe(imported);
  });

  it("does not re-hash an inactive user's password even when it is right", async () => {
    const imported = djangoHash(PASSWORD, "inactiveSalt", 20_000);
    const user = await createUserWithHash(imported, { isActive: false });

    const response = await call(loginRequest(user.username));

    await expect401(response);
    expect((await readUserRow(user.id))?.password_hash).toBe(imported);
  });
});
