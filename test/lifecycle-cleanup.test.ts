import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { systemClock } from "../src/auth/tokens";
import { deleteExpiredTokens } from "../src/cleanup";
import { database } from "../src/db/client";
import { CLEANUP_BATCH_SIZE } from "../src/db/refresh-tokens";
import { createUser, loggedInUser } from "./helpers";
import { refresh } from "./lifecycle-helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Inserts `count` ledger rows for a user, all expiring at `expiresAt`. */
async function insertRows(userId: number, count: number, expiresAt: number): Promise<void> {
  await env.DB.prepare(
    `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?1)
     insert into refresh_tokens (jti, user_id, family_id, issued_at, expires_at, access_jti)
     select lower(hex(randomblob(16))), ?2, lower(hex(randomblob(16))), ?3 - 86400, ?3,
            lower(hex(randomblob(16)))
     from n`,
  )
    .bind(count, userId, expiresAt)
    .run();
}

async function rowsOf(userId: number): Promise<number[]> {
  const statement = env.DB.prepare(
    "select expires_at from refresh_tokens where user_id = ? order by expires_at",
  );
  const { results } = await statement.bind(userId).all<{ expires_at: number }>();
  return results.map((row) => row.expires_at);
}

/** Runs the Worker's cron handler as the platform would at `time` (seconds). */
async function runCron(time: number, testEnv: Env = env): Promise<void> {
  const controller = createScheduledController({
    scheduledTime: new Date(time * 1000),
    cron: "17 * * * *",
  });
  await worker.scheduled(controller, testEnv);
}

/** Counts the statements that delete from the ledger while `action` runs. */
async function countLedgerDeletes(action: () => Promise<void>): Promise<number> {
  const prepare = vi.spyOn(env.DB, "prepare");
  await action();
  return prepare.mock.calls.filter(([sql]) => /^delete from "refresh_tokens"/i.test(sql)).length;
}

describe("the cron trigger's cleanup", () => {
  it("deletes every expired row in batches of CLEANUP_BATCH_SIZE and logs the count", async () => {
    const user = await createUser();
    const now = systemClock();
    const expiredCount = 2 * CLEANUP_BATCH_SIZE + 234;
    await insertRows(user.id, expiredCount, now - 3600);
    await insertRows(user.id, 3, now + 3600);
    const log = vi.spyOn(console, "log");

    const deletes = await countLedgerDeletes(() => runCron(now));

    expect(await rowsOf(user.id)).toEqual([now + 3600, now + 3600, now + 3600]);
    expect(deletes).toBeGreaterThanOrEqual(3);
    const line = log.mock.calls
      .map(([text]) => JSON.parse(String(text)) as { event: string; count: number })
      .find((entry) => entry.event === "maintenance.expired_tokens_deleted");
    expect(line?.count).toBeGreaterThanOrEqual(expiredCount);
  });

  it("keeps rows that expire at or after the run's time, and their sessions keep refreshing", async () => {
    const { user, tokens } = await loggedInUser();
    const now = systemClock();
    await insertRows(user.id, 1, now - 1);
    await insertRows(user.id, 1, now);
    await insertRows(user.id, 1, now + 1);

    await runCron(now);

    const left = await rowsOf(user.id);
    expect(left.slice(0, 2)).toEqual([now, now + 1]);
    expect(left).toHaveLength(3);
    expect((await refresh(tokens.refresh)).status).toBe(200);
  });

  it("keeps rows that the configured leeway still accepts", async () => {
    const user = await createUser();
    const now = systemClock();
    await insertRows(user.id, 1, now - 100);
    await insertRows(user.id, 1, now - 10);

    await runCron(now, { ...env, JWT_LEEWAY: "30" } as unknown as Env);

    expect(await rowsOf(user.id)).toEqual([now - 10]);
  });

  it("stops after its batch limit and leaves the rest to the next run", async () => {
    const user = await createUser();
    const db = database(env.DB);
    await insertRows(user.id, 25, 1000);
    const limits = { batchSize: 10, maxBatches: 2 };

    const first = await deleteExpiredTokens(db, 2000, limits);
    const second = await deleteExpiredTokens(db, 2000, limits);

    expect(first).toBe(20);
    expect(second).toBe(5);
    expect(await rowsOf(user.id)).toEqual([]);
  });

  it("issues one bounded delete per batch", async () => {
    const user = await createUser();
    const db = database(env.DB);
    await insertRows(user.id, 35, 1000);

    const deletes = await countLedgerDeletes(async () => {
      await deleteExpiredTokens(db, 2000, { batchSize: 10, maxBatches: 50 });
    });

    expect(deletes).toBe(4);
    expect(await rowsOf(user.id)).toEqual([]);
  });
});
