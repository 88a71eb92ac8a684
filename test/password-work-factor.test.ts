// The password work factor: the chained PBKDF2 construction checked against an independent
// implementation (node:crypto), the per-call cap, the upgrade of Django hashes on login, and
// Django hashes too costly to check here.

import { pbkdf2Sync } from "node:crypto";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkPassword,
  derive,
  hashPassword,
  needsRehash,
  parseStoredHash,
  planWork,
} from "../src/auth/passwords";
import { database } from "../src/db/client";
import { insertUser } from "../src/db/users";
import { RUNTIME_PBKDF2_CAP } from "../src/settings";
import { call, postJson, uniqueName } from "./helpers";

const PASSWORD = "pässwörd-Ω-9";
const SALT = "fixedSalt0123456";

/** Django's pbkdf2_sha256 hash, computed by Node's own PBKDF2. */
function nodeDjangoHash(password: string, salt: string, iterations: number): string {
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("base64");
  return `pbkdf2_sha256$${iterations}$${salt}$${hash}`;
}

/**
 * The chained construction, restated from its description: round 0 is PBKDF2 of the password
 * and salt; round r keys PBKDF2 with the previous output and salts it with `<salt>$<r>`.
 */
function nodeChainedHash(password: string, salt: string, iterations: number, rounds: number) {
  let output = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  for (let round = 1; round < rounds; round++) {
    output = pbkdf2Sync(output, `${salt}$${round}`, iterations, 32, "sha256");
  }
  return `pbkdf2_sha256_chained$${iterations}$${rounds}$${salt}$${output.toString("base64")}`;
}

/** Records the iteration count of every PBKDF2 call made while it is installed. */
function recordPbkdf2Calls(): number[] {
  const calls: number[] = [];
  const original = crypto.subtle.deriveBits.bind(crypto.subtle);

  vi.spyOn(crypto.subtle, "deriveBits").mockImplementation((algorithm, key, length) => {
    const parameters = algorithm as SubtleCryptoDeriveKeyAlgorithm;
    if (parameters.name === "PBKDF2") calls.push(parameters.iterations ?? 0);
    return original(algorithm, key, length);
  });
  return calls;
}

async function userWithHash(passwordHash: string) {
  const username = uniqueName("wf");
  const user = await insertUser(database(env.DB), { username, email: "", passwordHash });
  return user!;
}

async function storedHash(id: number): Promise<string> {
  const row = await env.DB.prepare("select password_hash from users where id = ?")
    .bind(id)
    .first<{ password_hash: string }>();
  return row!.password_hash;
}

function login(username: string, password: string) {
  return call(postJson("/api/token/", { username, password }));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("test vectors against node:crypto", () => {
  it("reads a Django pbkdf2_sha256 hash made by another implementation", async () => {
    const stored = nodeDjangoHash(PASSWORD, SALT, 1000);

    expect(await checkPassword(PASSWORD, stored)).toBe("match");
    expect(await checkPassword(`${PASSWORD}x`, stored)).toBe("mismatch");
  });

  it("derives the chained default (6 × 100,000) exactly as the restated construction", async () => {
    const expected = nodeChainedHash(PASSWORD, SALT, 100_000, 6);

    const derived = await derive(PASSWORD, SALT, 100_000, 6);

    expect(`pbkdf2_sha256_chained$100000$6$${SALT}$${btoa(String.fromCharCode(...derived))}`).toBe(
      expected,
    );
    expect(await checkPassword(PASSWORD, expected)).toBe("match");
  });

  it("matches a small chained vector (3 rounds of 1,000) byte for byte", async () => {
    const expected = nodeChainedHash("password", "salt", 1000, 3);

    const derived = await derive("password", "salt", 1000, 3);

    expect(Buffer.from(derived).toString("base64")).toBe(expected.split("$").at(-1));
  });

  it("stores a new hash in the chained format that node:crypto reproduces from its salt", async () => {
    const stored = await hashPassword(PASSWORD, 600_000);
    const parameters = parseStoredHash(stored)!;

    expect(stored).toMatch(
      /^pbkdf2_sha256_chained\$100000\$6\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9+/]{43}=$/,
    );
    expect(stored).toBe(nodeChainedHash(PASSWORD, parameters.salt, 100_000, 6));
  });

  it("is not plain PBKDF2 with the total count: chaining changes the output", async () => {
    const chained = nodeChainedHash("password", "salt", 1000, 2).split("$").at(-1);
    const single = pbkdf2Sync("password", "salt", 2000, 32, "sha256").toString("base64");

    expect(chained).not.toBe(single);
  });
});

describe("the work plan", () => {
  it.each([
    [1_000, 1_000, 1],
    [100_000, 100_000, 1],
    [100_001, 50_001, 2],
    [600_000, 100_000, 6],
    [250_000, 83_334, 3],
    [2_000_000, 100_000, 20],
  ])("splits %i iterations into calls of %i, %i times", (total, iterations, rounds) => {
    const plan = planWork(total);

    expect(plan).toEqual({ iterations, rounds });
    expect(plan.iterations).toBeLessThanOrEqual(RUNTIME_PBKDF2_CAP);
    expect(plan.iterations * plan.rounds).toBeGreaterThanOrEqual(total);
  });
});

describe("the per-call cap", () => {
  it("never asks Web Crypto for more than 100,000 iterations in one call, even at the maximum", async () => {
    const calls = recordPbkdf2Calls();

    const stored = await hashPassword(PASSWORD, 2_000_000);
    await checkPassword(PASSWORD, stored);

    expect(calls).toHaveLength(40);
    expect(Math.max(...calls)).toBe(RUNTIME_PBKDF2_CAP);
  });

  it("does six calls of 100,000 for a login at the default work factor", async () => {
    const user = await userWithHash(await hashPassword(PASSWORD, 600_000));
    const calls = recordPbkdf2Calls();

    const response = await login(user.username, PASSWORD);

    expect(response.status).toBe(200);
    expect(calls).toEqual([100_000, 100_000, 100_000, 100_000, 100_000, 100_000]);
  });

  it("costs an unknown username the same six calls", async () => {
    const calls = recordPbkdf2Calls();

    const response = await login(uniqueName("ghost"), PASSWORD);

    expect(response.status).toBe(401);
    expect(calls).toEqual([100_000, 100_000, 100_000, 100_000, 100_000, 100_000]);
  });
});

describe("upgrading Django hashes", () => {
  it.each([20_000, 36_000, 100_000])(
    "re-hashes a Django hash of %i iterations to the chained default on a successful login",
    async (iterations) => {
      const user = await userWithHash(nodeDjangoHash(PASSWORD, SALT, iterations));

      const response = await login(user.username, PASSWORD);

      expect(response.status).toBe(200);
      const upgraded = await storedHash(user.id);
      expect(upgraded).toMatch(/^pbkdf2_sha256_chained\$100000\$6\$/);
      expect(needsRehash(upgraded, 600_000)).toBe(false);
      expect(await checkPassword(PASSWORD, upgraded)).toBe("match");
      expect((await login(user.username, PASSWORD)).status).toBe(200);
    },
  );

  it("keeps the Django hash when the password is wrong", async () => {
    const original = nodeDjangoHash(PASSWORD, SALT, 20_000);
    const user = await userWithHash(original);

    const response = await login(user.username, "not-the-password");

    expect(response.status).toBe(401);
    expect(await storedHash(user.id)).toBe(original);
  });

  it("leaves a hash at the configured work factor as it is", async () => {
    const current = await hashPassword(PASSWORD, 600_000);
    const user = await userWithHash(current);

    await login(user.username, PASSWORD);

    expect(await storedHash(user.id)).toBe(current);
  });
});

describe("Django hashes over the cap", () => {
  it.each([260_000, 600_000, 870_000, 1_000_000])(
    "answers 401 password_reset_required for a Django hash of %i iterations, without deriving",
    async (iterations) => {
      const stored = `pbkdf2_sha256$${iterations}$${SALT}$${btoa("x".repeat(32))}`;
      const user = await userWithHash(stored);
      const calls = recordPbkdf2Calls();

      const response = await login(user.username, PASSWORD);

      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
      expect(await response.json()).toEqual({
        detail: "This account's password must be reset before it can log in.",
        code: "password_reset_required",
      });
      expect(calls).toEqual([]);
      expect(await storedHash(user.id)).toBe(stored);
    },
  );

  it("answers 401 no active account (never a 500) for stored values it cannot read", async () => {
    const unreadable = [
      `pbkdf2_sha256$20000000$${SALT}$${btoa("x".repeat(32))}`,
      `pbkdf2_sha256$999$${SALT}$${btoa("x".repeat(32))}`,
      `pbkdf2_sha256$20000$${SALT}$not-base64`,
      `pbkdf2_sha256_chained$100001$6$${SALT}$${btoa("x".repeat(32))}`,
      `pbkdf2_sha256_chained$100000$21$${SALT}$${btoa("x".repeat(32))}`,
      "!unusable-password",
      "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
      "",
    ];

    for (const stored of unreadable) {
      const user = await userWithHash(stored);

      const response = await login(user.username, PASSWORD);

      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        detail: "No active account found with the given credentials",
      });
    }
  });
});
