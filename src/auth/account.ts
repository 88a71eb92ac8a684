// What an authenticated user can do to their own sessions: end them all, change password.

import { AuthenticationError, ValidationError } from "../errors";
import type { Database } from "../db/client";
import type { User } from "../db/schema";
import { endAllSessions, findUserById } from "../db/users";
import type { Settings } from "../settings";
import { passwordProblems } from "./password-rules";
import type { PasswordHasher } from "./passwords";

/**
 * The caller's account, which must still exist and be active; otherwise SimpleJWT's 401s
 * user_not_found and user_inactive. `loaded` skips the read when the user is already at hand.
 */
export async function requireActiveUser(db: Database, userId: number, loaded?: User) {
  const user = loaded ?? (await findUserById(db, userId));
  if (!user) throw new AuthenticationError("User not found", "user_not_found");
  if (!user.isActive) throw new AuthenticationError("User is inactive", "user_inactive");
  return user;
}

/** Revokes every refresh token of the user and, in database mode, every access token. */
export async function logoutEverywhere(db: Database, userId: number, now: number) {
  await requireActiveUser(db, userId);
  await endAllSessions(db, userId, now);
}

/**
 * Changes a password after checking the old one, and ends every session, as SimpleJWT's
 * revoke-on-password-change does. Throws ValidationError for a wrong old password or a new
 * one that breaks the registration rules.
 */
export async function changePassword(
  db: Database,
  settings: Settings,
  change: { userId: number; oldPassword: string; newPassword: string; now: number },
  hasher: PasswordHasher,
): Promise<void> {
  const user = await requireActiveUser(db, change.userId);

  const outcome = await hasher.check(change.oldPassword, user.passwordHash);
  if (outcome !== "match") {
    const message = "Your old password was entered incorrectly. Please enter it again.";
    throw ValidationError.single("old_password", message);
  }

  const problems = passwordProblems(change.newPassword, user.username, user.email);
  if (problems.length > 0) throw new ValidationError({ new_password: problems });

  const newHash = await hasher.hash(change.newPassword, settings.passwordHashIterations);
  await endAllSessions(db, user.id, change.now, newHash);
}
