// Runs the Worker in Miniflare, from its API, for what needs D1: request logging off, a local
// D1 with the project's migrations applied. Miniflare's entry worker shares the workerd process.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Bundle } from "./build.ts";
import { childProcessIds } from "./cpu.ts";
import { projectRequire, type WorkerConfig } from "./project.ts";
import type { ServerProcess } from "./workerd-host.ts";

export interface MiniflareOptions {
  bundle: Bundle;
  config: WorkerConfig;
  bindings: Record<string, string>;
  persistDir: string;
  port: number;
}

/** Starts Miniflare, applies the migrations, and finds the workerd process it runs. */
export async function startMiniflare(options: MiniflareOptions): Promise<ServerProcess> {
  const { Miniflare, NoOpLog, convertV4MiniflareOptions } = await import(
    projectRequire.resolve("miniflare")
  );
  const before = new Set(childProcessIds("workerd"));
  const started = performance.now();

  // This Miniflare takes a new option shape; it converts the classic one, kept here for reading.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      modulesRoot: options.bundle.dir,
      scriptPath: join(options.bundle.dir, options.bundle.modules[0]!),
      compatibilityDate: options.config.compatibilityDate,
      compatibilityFlags: options.config.compatibilityFlags,
      bindings: options.bindings,
      d1Databases: { DB: "bench-database" },
      d1Persist: options.persistDir,
      host: "127.0.0.1",
      port: options.port,
      log: new NoOpLog(),
      logRequests: false,
      handleStructuredLogs: () => {},
      cf: false,
    }),
  );
  const url = (await mf.ready) as URL;
  const startupMs = performance.now() - started;

  await applyMigrations(await mf.getD1Database("DB"), options.config.migrationsDir);

  const pid = childProcessIds("workerd").find((id) => !before.has(id));
  if (pid === undefined) {
    await mf.dispose();
    throw new Error("could not find the workerd process Miniflare started");
  }

  const server: ServerProcess = {
    pid,
    url: url.origin,
    startupMs,
    stop: () => mf.dispose(),
  };
  return server;
}

interface D1 {
  prepare(sql: string): unknown;
  batch(statements: unknown[]): Promise<unknown>;
}

/** Applies every migration file in order, as `wrangler d1 migrations apply` would. */
async function applyMigrations(db: D1, dir: string): Promise<void> {
  const wrangler = await import(projectRequire.resolve("wrangler"));
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort();

  for (const file of files) {
    const statements: string[] = wrangler.unstable_splitSqlQuery(
      readFileSync(join(dir, file), "utf8"),
    );
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }
}
