// The users repository: every read and write of the users table goes through here.

import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { refreshTokens, users, type User } from "./schema";

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
}

/** The user with this (already normalised) username, if any. */
export async function findUserByUsername(db: Database, username: string) {
  return db.select().from(users).where(eq(users.username, username)).get();
}

/** The user with this id, if any. */
export async function findUserById(db: Database, id: number): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

/**
 * Inserts a user unless the username is taken; returns undefined when it is. One statement,
 * so two registrations racing for one name cannot both succeed.
 */
export async function insertUser(db: Database, user: NewUser): Promise<User | undefined> {
  const rows = await db
    .insert(users)
    .values(user)
    .onConflictDoNothing({ target: users.username })
    .returning();
  return rows[0];
}

/** Records a successful login, and a re-hashed password when the work factor changed. */
export async function recordLogin(db: Database, id: number, at: Date, newHash?: string) {
  const changes = newHash ? { lastLogin: at, passwordHash: newHash } : { lastLogin: at };
  await db.update(users).set(changes).where(eq(users.id, id));
}

/**
 * Ends every session of a user at once: bumps the session version (older access tokens fail
 * in the database check mode) and revokes every refresh token. With `newHash`, also sets the
 * password. One atomic batch.
 */
export async function endAllSessions(db: Database, id: number, now: number, newHash?: string) {
  const userChanges = {
    sessionVersion: sql`${users.sessionVersion} + 1`,
    ...(newHash ? { passwordHash: newHash } : {}),
  };

  await db.batch([
    db.update(users).set(userChanges).where(eq(users.id, id)),
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(sql`${refreshTokens.userId} = ${id} and ${refreshTokens.revokedAt} is null`),
  ]);
}

/** Which users to list: usernames containing every term, one page of them. */
export interface UserListQuery {
  terms: string[];
  limit: number;
  offset: number;
}

function usernameContainsAll(terms: string[]) {
  // instr() rather than LIKE: no wildcards to escape, and no pattern-length limit, which
  // D1 enforces for LIKE. lower() folds ASCII letters, as Django's icontains does in SQLite.
  const conditions = terms.map((term) => sql`instr(lower(${users.username}), lower(${term})) > 0`);
  return and(...conditions);
}

/** How many users match the terms. */
export async function countUsers(db: Database, terms: string[]): Promise<number> {
  const row = await db
    .select({ total: count() })
    .from(users)
    .where(usernameContainsAll(terms))
    .get();
  return row?.total ?? 0;
}

/** One page of the users matching the terms, oldest account first. */
export async function listUsers(db: Database, query: UserListQuery): Promise<User[]> {
  return db
    .select()
    .from(users)
    .where(usernameContainsAll(query.terms))
    .orderBy(users.id)
    .limit(query.limit)
    .offset(query.offset);
}

/** The flags staff may change on an account. */
export interface UserFlags {
  isActive?: boolean;
  isStaff?: boolean;
}

/** Sets a user's flags; returns the updated row, or undefined when there is no such user. */
export async function updateUserFlags(db: Database, id: number, flags: UserFlags) {
  if (flags.isActive === undefined && flags.isStaff === undefined) return findUserById(db, id);

  const rows = await db.update(users).set(flags).where(eq(users.id, id)).returning();
  return rows[0];
}

/** Deletes a user and, through the foreign key, their refresh tokens; false when absent. */
export async function deleteUser(db: Database, id: number): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}
