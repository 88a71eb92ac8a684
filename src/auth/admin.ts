// User administration for staff, as Django's admin offers it: list and search accounts,
// activate or deactivate them, grant or revoke staff status, end their sessions, delete them.

import type { Database } from "../db/client";
import type { User } from "../db/schema";
import {
  countUsers,
  deleteUser,
  endAllSessions,
  findUserById,
  listUsers,
  updateUserFlags,
  type UserFlags,
} from "../db/users";
import { RequestError, ValidationError } from "../errors";
import { resolvePage, type Page, type PageRequest } from "../http/pagination";
import { describeUser } from "./registration";

/** More terms than this in one search are refused, which keeps every query small. */
export const MAX_SEARCH_TERMS = 10;

/** What staff see of an account: the public view plus the superuser flag, never the hash. */
export function describeUserForStaff(user: User) {
  return { ...describeUser(user), is_superuser: user.isSuperuser };
}

/** Splits a search as DRF's SearchFilter does: on whitespace and commas, every term must match. */
export function searchTerms(search: string | undefined): string[] {
  const terms = (search ?? "")
    .replace(/\0/g, "")
    .split(/[\s,]+/)
    .filter((term) => term.length > 0);

  if (terms.length > MAX_SEARCH_TERMS) {
    throw ValidationError.single("search", `Use at most ${MAX_SEARCH_TERMS} search terms.`);
  }
  return terms;
}

/** One page of the users whose username contains every term. */
export async function findUsersPage(db: Database, terms: string[], request: PageRequest) {
  const total = await countUsers(db, terms);
  const page: Page = resolvePage(request, total);

  const rows = await listUsers(db, { terms, limit: page.size, offset: page.offset });
  return { total, page, users: rows };
}

function notFound(): RequestError {
  return new RequestError(404, "Not found.");
}

/** The user with this id; a 404 "Not found." when there is none. */
export async function requireUser(db: Database, id: number): Promise<User> {
  const user = await findUserById(db, id);
  if (!user) throw notFound();
  return user;
}

/**
 * Changes a user's active and staff flags. Deactivating also ends every session, so a
 * deactivated account can neither refresh nor, in the database check mode, use its tokens.
 */
export async function changeUserFlags(db: Database, id: number, flags: UserFlags, now: number) {
  const user = await updateUserFlags(db, id, flags);
  if (!user) throw notFound();

  if (flags.isActive === false) await endAllSessions(db, id, now);
  return user;
}

/** Ends every session of a user: refresh tokens revoked, access tokens in database mode. */
export async function revokeUserSessions(db: Database, id: number, now: number): Promise<void> {
  await requireUser(db, id);
  await endAllSessions(db, id, now);
}

/** Deletes a user with their refresh tokens. */
export async function removeUser(db: Database, id: number): Promise<void> {
  if (!(await deleteUser(db, id))) throw notFound();
}
