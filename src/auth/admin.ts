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

/** DRF's IsAdminUser refusal, also used when a staff user reaches above their station. */
export const PERMISSION_DENIED = "You do not have permission to perform this action.";

/** What an operation does to its target, for the authority check. */
type Operation = "change" | "revoke_sessions" | "delete";

/**
 * Who may do what, as Django's admin would with its default permissions: staff manage
 * ordinary accounts; only a superuser touches staff or superuser accounts or grants staff.
 * Nobody deactivates, demotes or deletes themselves, so an admin cannot lock themselves out.
 */
function checkAuthority(actor: User, target: User, operation: Operation, flags?: UserFlags) {
  const self = actor.id === target.id;
  const privilegedTarget = target.isStaff || target.isSuperuser;
  const grantsStaff = flags?.isStaff !== undefined && flags.isStaff !== target.isStaff;

  const lockout =
    self && (operation === "delete" || flags?.isActive === false || flags?.isStaff === false);
  const aboveStation = !actor.isSuperuser && ((privilegedTarget && !self) || grantsStaff);

  if (lockout || aboveStation) throw new RequestError(403, PERMISSION_DENIED);
}

/**
 * Changes a user's active and staff flags. Deactivating also ends every session, so a
 * deactivated account can neither refresh nor, in the database check mode, use its tokens.
 */
export async function changeUserFlags(
  db: Database,
  actor: User,
  id: number,
  flags: UserFlags,
  now: number,
) {
  checkAuthority(actor, await requireUser(db, id), "change", flags);

  const user = await updateUserFlags(db, id, flags);
  if (!user) throw notFound();

  if (flags.isActive === false) await endAllSessions(db, id, now);
  return user;
}

/** Ends every session of a user: refresh tokens revoked, access tokens in database mode. */
export async function revokeUserSessions(db: Database, actor: User, id: number, now: number) {
  checkAuthority(actor, await requireUser(db, id), "revoke_sessions");
  await endAllSessions(db, id, now);
}

/** Deletes a user with their refresh tokens. */
export async function removeUser(db: Database, actor: User, id: number): Promise<void> {
  checkAuthority(actor, await requireUser(db, id), "delete");
  if (!(await deleteUser(db, id))) throw notFound();
}
