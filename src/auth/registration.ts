// Creating an account: username and password rules as Django's defaults, then one insert
// that cannot create a duplicate even when two registrations race.

import { ValidationError } from "../errors";
import type { Database } from "../db/client";
import type { User } from "../db/schema";
import { insertUser } from "../db/users";
import type { Settings } from "../settings";
import { passwordProblems } from "./password-rules";
import type { PasswordHasher } from "./passwords";
import { INVALID_USERNAME_MESSAGE, isValidUsername, normalizeUsername } from "./usernames";

export const DUPLICATE_USERNAME_MESSAGE = "A user with that username already exists.";

/** One @, a dot in the domain, and no whitespace, control or invisible formatting characters. */
const EMAIL = /^[^\s@\p{C}]+@[^\s@\p{C}]+\.[^\s@\p{C}]+$/u;

export interface Registration {
  username: string;
  password: string;
  email: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
}

/** Field errors for a registration, in DRF's shape; empty when it is acceptable. */
export function registrationProblems(input: Registration): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  const username = normalizeUsername(input.username);

  if (!isValidUsername(username)) problems.username = [INVALID_USERNAME_MESSAGE];
  if (input.email && !EMAIL.test(input.email)) problems.email = ["Enter a valid email address."];

  const passwordIssues = passwordProblems(input.password, username, input.email);
  if (passwordIssues.length > 0) problems.password = passwordIssues;
  return problems;
}

/** Validates and creates a user; throws ValidationError for bad input or a taken username. */
export async function registerUser(
  db: Database,
  settings: Settings,
  input: Registration,
  hasher: PasswordHasher,
): Promise<User> {
  const problems = registrationProblems(input);
  if (Object.keys(problems).length > 0) throw new ValidationError(problems);

  const user = await insertUser(db, {
    username: normalizeUsername(input.username),
    email: input.email,
    passwordHash: await hasher.hash(input.password, settings.passwordHashIterations),
    isStaff: input.isStaff ?? false,
    isSuperuser: input.isSuperuser ?? false,
  });
  if (!user) throw ValidationError.single("username", DUPLICATE_USERNAME_MESSAGE);
  return user;
}

/** The public view of a user: never the password hash. */
export function describeUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    is_active: user.isActive,
    is_staff: user.isStaff,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
  };
}
