import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { call, createUser, login } from "./helpers";
import { ageRetirement, logout, postAuthorized, refresh } from "./lifecycle-helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every SQL statement the Worker prepares while `action` runs. */
async function statementsDuring(action: () => Promise<void>): Promise<string[]> {
  const prepare = vi.spyOn(env.DB, "prepare");
  await action();
  return [...new Set(prepare.mock.calls.map(([sql]) => sql))];
}

/** SQLite's plan for a statement, its parameters left unbound (they read as null). */
async function planOf(sql: string): Promise<string[]> {
  const parameters = (sql.match(/\?/g) ?? []).map(() => null);
  const statement = env.DB.prepare(`explain query plan ${sql}`).bind(...parameters);
  const { results } = await statement.all<{ detail: string }>();
  return results.map((row) => row.detail);
}

/** Drives every ledger query: login, rotation, a grace repeat, reuse, logout, the account routes. */
async function exerciseLifecycle(): Promise<void> {
  const user = await createUser();
  const first = await login(user.username, user.password);
  await refresh(first.refresh);
  await refresh(first.refresh);
  await ageRetirement(first.refresh, 60);
  await refresh(first.refresh);

  const other = await login(user.username, user.password);
  await logout(other.refresh);
  const third = await login(user.username, user.password);
  await call(postAuthorized("/api/logout/all/", third.access));
  await call(
    postAuthorized("/api/password/change/", third.access, {
      old_password: user.password,
      new_password: "Another-Staple-Horse-41",
    }),
  );

  const controller = createScheduledController({ scheduledTime: new Date(), cron: "17 * * * *" });
  await worker.scheduled(controller, env);
}

describe("indexes behind the ledger's queries", () => {
  it("has an index on each column the ledger looks rows up by", async () => {
    const { results } = await env.DB.prepare(
      "select name from pragma_index_list('refresh_tokens') order by name",
    ).all<{ name: string }>();

    const names = results.map((row) => row.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "refresh_tokens_user_id_idx",
        "refresh_tokens_family_id_idx",
        "refresh_tokens_expires_at_idx",
      ]),
    );
    expect(names.some((name) => name.startsWith("sqlite_autoindex_refresh_tokens"))).toBe(true);
  });

  it("never scans the whole ledger in any query of the lifecycle", async () => {
    const statements = await statementsDuring(exerciseLifecycle);

    const ledger = statements.filter((sql) => sql.includes('"refresh_tokens"'));
    expect(ledger.length).toBeGreaterThanOrEqual(6);
    for (const sql of ledger) {
      const plan = await planOf(sql);
      // A plain insert has no plan; every statement that looks rows up must use an index.
      if (!/ where /i.test(sql)) continue;
      expect({ sql, scans: plan.filter((line) => /^SCAN refresh_tokens\b/.test(line)) }).toEqual({
        sql,
        scans: [],
      });
      const indexed = plan.some((line) =>
        /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(line),
      );
      expect({ sql, indexed }).toEqual({
        sql,
        indexed: true,
      });
    }
  });

  it("finds a user's rows through the user_id index, as the cascade on user deletion does", async () => {
    const plan = await planOf('select 1 from "refresh_tokens" where "user_id" = ?');

    expect(plan.join("\n")).toMatch(/refresh_tokens_user_id_idx/);
  });

  it("looks up expired rows through the expires_at index", async () => {
    const plan = await planOf("select jti from refresh_tokens where expires_at < ? limit 500");

    expect(plan.join("\n")).toMatch(/refresh_tokens_expires_at_idx/);
  });
});
