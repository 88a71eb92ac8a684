// The D1 tables, as Drizzle sees them. SQL names are snake_case; migrations in `migrations/`
// are generated from this file by drizzle-kit (`npm run db:generate`).

import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Accounts, with the columns of Django's auth_user that authentication needs. */
export const users = sqliteTable("users", {
  id: integer().primaryKey({ autoIncrement: true }),
  username: text().notNull().unique(),
  email: text().notNull().default(""),
  passwordHash: text("password_hash").notNull(),
  isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
  isStaff: integer("is_staff", { mode: "boolean" }).notNull().default(false),
  isSuperuser: integer("is_superuser", { mode: "boolean" }).notNull().default(false),
  dateJoined: integer("date_joined", { mode: "timestamp" })
    .notNull()
    .default(sql`(unixepoch())`),
  lastLogin: integer("last_login", { mode: "timestamp" }),
  /** Bumped by logout-everywhere and password change; older access tokens then fail. */
  sessionVersion: integer("session_version").notNull().default(0),
});

/**
 * Every refresh token issued, by jti. A family is every token descended from one login.
 * `retiredAt` marks a token replaced by rotation; `revokedAt` one that may never refresh again.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    jti: text().primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("family_id").notNull(),
    issuedAt: integer("issued_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** The access token minted beside this one, so a grace-window repeat returns the same pair. */
    accessJti: text("access_jti").notNull(),
    retiredAt: integer("retired_at"),
    replacedBy: text("replaced_by"),
    revokedAt: integer("revoked_at"),
  },
  (table) => [
    index("refresh_tokens_user_id_idx").on(table.userId),
    index("refresh_tokens_family_id_idx").on(table.familyId),
    index("refresh_tokens_expires_at_idx").on(table.expiresAt),
  ],
);

/** Fixed-window attempt counters shared by every isolate, keyed by scope and subject. */
export const throttleCounters = sqliteTable(
  "throttle_counters",
  {
    key: text().primaryKey(),
    windowStart: integer("window_start").notNull(),
    attempts: integer().notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("throttle_counters_expires_at_idx").on(table.expiresAt)],
);

export type User = typeof users.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
