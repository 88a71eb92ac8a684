// The refresh-token ledger: every refresh token issued, keyed by jti, grouped in families.
// Every state change is one conditional statement or one atomic batch, because D1 has no
// interactive transactions: the statement's result decides who won a race.

import { and, eq, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { Database } from "./client";
import { refreshTokens, users, type RefreshTokenRow } from "./schema";

export type NewRefreshToken = Omit<RefreshTokenRow, "retiredAt" | "replacedBy" | "revokedAt">;

/** Rows deleted per statement by cleanup; small enough for D1's per-query limits. */
export const CLEANUP_BATCH_SIZE = 500;

/** The ledger row of a refresh token, if any. */
export async function findRefreshToken(db: Database, jti: string) {
  return db.select().from(refreshTokens).where(eq(refreshTokens.jti, jti)).get();
}

/**
 * Retires `parentJti` in favour of `child` and records the child, atomically. Returns false
 * when the parent was no longer live (another request retired or revoked it first); then
 * nothing is written.
 */
export async function rotateRefreshToken(
  db: Database,
  parentJti: string,
  child: NewRefreshToken,
  now: number,
): Promise<boolean> {
  const [retired] = await db.batch([
    db
      .update(refreshTokens)
      .set({ retiredAt: now, replacedBy: child.jti })
      .where(
        and(
          eq(refreshTokens.jti, parentJti),
          isNull(refreshTokens.retiredAt),
          isNull(refreshTokens.revokedAt),
        ),
      )
      .returning({ jti: refreshTokens.jti }),
    db
      .insert(refreshTokens)
      .select(
        childRowIf(
          db,
          child,
          eq(refreshTokens.jti, parentJti),
          eq(refreshTokens.replacedBy, child.jti),
        ),
      ),
  ]);
  return retired.length === 1;
}

/** The new row's values as a select list, so an insert can depend on a condition. */
function rowValues(child: NewRefreshToken) {
  const value = <T>(name: string, data: T) => sql<T>`${data}`.as(name);

  return {
    jti: value("jti", child.jti),
    userId: value("user_id", child.userId),
    familyId: value("family_id", child.familyId),
    issuedAt: value("issued_at", child.issuedAt),
    expiresAt: value("expires_at", child.expiresAt),
    accessJti: value("access_jti", child.accessJti),
    retiredAt: sql<number | null>`null`.as("retired_at"),
    replacedBy: sql<string | null>`null`.as("replaced_by"),
    revokedAt: sql<number | null>`null`.as("revoked_at"),
  };
}

/** Selects the child's values from the parent's row, only when `conditions` hold for it. */
function childRowIf(db: Database, child: NewRefreshToken, ...conditions: SQL[]) {
  return db
    .select(rowValues(child))
    .from(refreshTokens)
    .where(and(...conditions));
}

/**
 * Records the first refresh token of a login, only while its user is still active and still
 * at the session version the login read. A logout-everywhere or password change that lands
 * during the login's password check therefore cannot be outlived. Returns false otherwise.
 */
export async function recordLoginToken(
  db: Database,
  row: NewRefreshToken,
  sessionVersion: number,
): Promise<boolean> {
  const userUnchanged = and(
    eq(users.id, row.userId),
    eq(users.isActive, true),
    eq(users.sessionVersion, sessionVersion),
  );
  const inserted = await db
    .insert(refreshTokens)
    .select(db.select(rowValues(row)).from(users).where(userUnchanged))
    .returning({ jti: refreshTokens.jti });
  return inserted.length === 1;
}

/**
 * Records a sibling of `parentJti` (rotation without blacklisting) only while the parent is
 * still unrevoked, in one statement, so a logout racing this refresh cannot be outlived.
 * Returns false when the parent had been revoked.
 */
export async function recordSiblingToken(
  db: Database,
  parentJti: string,
  child: NewRefreshToken,
): Promise<boolean> {
  const parentLive = [eq(refreshTokens.jti, parentJti), isNull(refreshTokens.revokedAt)];
  const inserted = await db
    .insert(refreshTokens)
    .select(childRowIf(db, child, ...parentLive))
    .returning({ jti: refreshTokens.jti });
  return inserted.length === 1;
}

/** Revokes every token of a family that is not revoked yet. */
export async function revokeFamily(db: Database, familyId: string, now: number): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/**
 * Logs a refresh token out: revokes it and its whole family. Returns true when the token
 * itself was still live, false when it had already been retired or revoked.
 */
export async function revokeForLogout(db: Database, row: RefreshTokenRow, now: number) {
  const [revoked] = await db.batch([
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(refreshTokens.jti, row.jti),
          isNull(refreshTokens.retiredAt),
          isNull(refreshTokens.revokedAt),
        ),
      )
      .returning({ jti: refreshTokens.jti }),
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt))),
  ]);
  return revoked.length === 1;
}

/**
 * Deletes up to `batchSize` rows that expired before `before`; returns how many went. The
 * inner select walks the expires_at index, so a batch costs the same however big the table.
 */
export async function deleteExpiredBatch(
  db: Database,
  before: number,
  batchSize = CLEANUP_BATCH_SIZE,
): Promise<number> {
  const expired = db
    .select({ jti: refreshTokens.jti })
    .from(refreshTokens)
    .where(lt(refreshTokens.expiresAt, before))
    .limit(batchSize);

  const result = await db.delete(refreshTokens).where(inArray(refreshTokens.jti, expired)).run();
  return result.meta.changes;
}
