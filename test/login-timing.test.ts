// Login timing: every way a login can fail runs the password hasher's check exactly once, at
// the configured work factor, so the answer's timing does not tell which way it failed.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authenticateCredentials } from "../src/auth/login";
import {
  hashPassword,
  parseStoredHash,
  planWork,
  webCryptoHasher,
  type PasswordHasher,
} from "../src/auth/passwords";
import { database } from "../src/db/client";
import { insertUser } from "../src/db/users";
import { AuthenticationError } from "../src/errors";
import type { RequestLog } from "../src/log";
import { parseSettings } from "../src/settings";
import { PASSWORD, uniqueName } from "./helpers";

const ITERATIONS = 3000;
const settings = parseSettings({ ...env, PASSWORD_HASH_ITERATIONS: String(ITERATIONS) });
const db = database(env.DB);
const silentLog: RequestLog = { event: () => {} };

/** The real hasher, counting its checks and recording the work each one was asked for. */
function countingHasher() {
  const checks: { iterations: number; rounds: number }[] = [];
  const hasher: PasswordHasher = {
    hash: webCryptoHasher.hash,
    async check(password, stored) {
      const parameters = parseStoredHash(stored);
      checks.push({ iterations: parameters?.iterations ?? 0, rounds: parameters?.rounds ?? 0 });
      return webCryptoHasher.check(password, stored);
    },
  };
  return { hasher, checks };
}

async function createUser(options: { isActive?: boolean; passwordHash?: string } = {}) {
  const username = uniqueName("timing");
  const passwordHash = options.passwordHash ?? (await hashPassword(PASSWORD, ITERATIONS));
  const user = await insertUser(db, { username, email: "", passwordHash });
  if (options.isActive === false) {
    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user!.id).run();
  }
  return user!;
}

/** Tries a login with a counting hasher; returns the checks and the error, if any. */
async function attempt(username: string, password: string) {
  const { hasher, checks } = countingHasher();
  const credentials = { username, password };

  const error = await authenticateCredentials(db, settings, credentials, hasher, silentLog).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return { checks, error };
}

const configuredWork = planWork(ITERATIONS);

describe("the hasher's check on failed logins", () => {
  it("runs once, at the configured work, for an unknown username", async () => {
    const { checks, error } = await attempt(uniqueName("nobody"), PASSWORD);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(checks).toEqual([configuredWork]);
  });

  it("runs once for an inactive user, even with the right password", async () => {
    const user = await createUser({ isActive: false });

    const { checks, error } = await attempt(user.username, PASSWORD);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(checks).toEqual([configuredWork]);
  });

  it("runs once for a wrong password", async () => {
    const user = await createUser();

    const { checks, error } = await attempt(user.username, "wrong-password");

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(checks).toEqual([configuredWork]);
  });

  it("runs once, at the configured work, for an account whose stored hash is unusable", async () => {
    const user = await createUser({ passwordHash: "!unusable" });

    const { checks, error } = await attempt(user.username, PASSWORD);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(checks).toEqual([configuredWork]);
  });

  it("answers all four failures with the same error", async () => {
    const inactive = await createUser({ isActive: false });
    const active = await createUser();
    const unusable = await createUser({ passwordHash: "!unusable" });

    const failures = [
      await attempt(uniqueName("nobody"), PASSWORD),
      await attempt(inactive.username, PASSWORD),
      await attempt(active.username, "wrong-password"),
      await attempt(unusable.username, PASSWORD),
    ];

    const answers = failures.map(({ error }) => {
      const failure = error as AuthenticationError;
      return { detail: failure.detail, code: failure.code, extra: failure.extra };
    });
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]!.detail).toBe("No active account found with the given credentials");
  });

  it("runs once for a successful login too", async () => {
    const user = await createUser();

    const { checks, error } = await attempt(user.username, PASSWORD);

    expect(error).toBeUndefined();
    expect(checks).toEqual([configuredWork]);
  });
});
