// What the benchmark needs from the project: its folder, its wrangler.toml, and the tools
// installed in its node_modules (wrangler, miniflare, workerd, esbuild, autocannon).

import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Resolves packages exactly as the project's own code would. */
export const projectRequire = createRequire(join(PROJECT_ROOT, "package.json"));

/** The settings of the Worker as wrangler.toml declares them. */
export interface WorkerConfig {
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  migrationsDir: string;
}

/** Reads wrangler.toml through wrangler's own reader, so the benchmark never drifts from it. */
export async function readWorkerConfig(): Promise<WorkerConfig> {
  const wrangler = await import(projectRequire.resolve("wrangler"));
  const config = wrangler.unstable_readConfig({ config: join(PROJECT_ROOT, "wrangler.toml") });

  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.vars ?? {})) {
    vars[name] = typeof value === "string" ? value : JSON.stringify(value);
  }

  const database = (config.d1_databases ?? []).find(
    (db: { binding: string }) => db.binding === "DB",
  );
  return {
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    vars,
    migrationsDir: join(PROJECT_ROOT, database?.migrations_dir ?? "migrations"),
  };
}

/** The workerd binary shipped in the project's node_modules. */
export function workerdBinary(): string {
  const manifest = projectRequire.resolve("@cloudflare/workerd-linux-64/package.json");
  return join(dirname(manifest), "bin", "workerd");
}

/** wrangler's command-line entry, run with the Node that runs this script. */
export function wranglerCli(): string {
  return join(dirname(projectRequire.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** The version a package in node_modules reports. */
export function packageVersion(name: string): string {
  return (projectRequire(`${name}/package.json`) as { version: string }).version;
}
