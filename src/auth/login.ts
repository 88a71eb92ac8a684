// Checking a username and password. Every path (unknown user, inactive user, wrong password)
// runs the password hasher exactly once, so the answer's timing does not reveal which it was.

import { AuthenticationError } from "../errors";
import type { Database } from "../db/client";
import type { User } from "../db/schema";
import { findUserByUsername, recordLogin } from "../db/users";
import type { RequestLog } from "../log";
import type { Settings } from "../settings";
import { decoyHash, needsRehash, parseStoredHash, type PasswordHasher } from "./passwords";
import { normalizeUsername } from "./usernames";

export const NO_ACTIVE_ACCOUNT = "No active account found with the given credentials";

const decoys = new Map<number, string>();

function decoyFor(iterations: number): string {
  let decoy = decoys.get(iterations);
  if (!decoy) {
    decoy = decoyHash(iterations);
    decoys.set(iterations, decoy);
  }
  return decoy;
}

function failedLogin(log: RequestLog, reason: string, user?: User): AuthenticationError {
  log.event("warn", "auth.login_failed", { reason, user_id: user?.id });
  return new AuthenticationError(NO_ACTIVE_ACCOUNT);
}

/**
 * Returns the active user these credentials belong to, after recording the login (and
 * re-hashing the password when the configured work factor changed). Throws
 * AuthenticationError otherwise.
 */
export async function authenticateCredentials(
  db: Database,
  settings: Settings,
  credentials: { username: string; password: string },
  hasher: PasswordHasher,
  log: RequestLog,
): Promise<User> {
  const user = await findUserByUsername(db, normalizeUsername(credentials.username));
  // An unreadable stored hash is refused without work; checking the decoy instead keeps such
  // accounts (Django's "!" unusable passwords, say) from standing out by their quick answer.
  const usable = user && parseStoredHash(user.passwordHash) ? user.passwordHash : undefined;

  const outcome = await hasher.check(
    credentials.password,
    usable ?? decoyFor(settings.passwordHashIterations),
  );

  if (!user) throw failedLogin(log, "unknown_user");
  if (!usable) throw failedLogin(log, "password_unusable", user);
  if (outcome === "too_costly") {
    // An inactive account gets the usual answer, so the reset code reveals only usable ones.
    if (!user.isActive) throw failedLogin(log, "inactive_user", user);
    log.event("warn", "auth.login_failed", { reason: "hash_too_costly", user_id: user.id });
    throw new AuthenticationError(
      "This account's password must be reset before it can log in.",
      "password_reset_required",
    );
  }
  if (outcome !== "match") throw failedLogin(log, `password_${outcome}`, user);
  if (!user.isActive) throw failedLogin(log, "inactive_user", user);

  await finishLogin(db, settings, user, credentials.password, hasher);
  return user;
}

async function finishLogin(
  db: Database,
  settings: Settings,
  user: User,
  password: string,
  hasher: PasswordHasher,
): Promise<void> {
  const iterations = settings.passwordHashIterations;
  const newHash = needsRehash(user.passwordHash, iterations)
    ? await hasher.hash(password, iterations)
    : undefined;

  await recordLogin(db, user.id, new Date(), newHash);
}
