// Builds the Worker exactly as it would be deployed (wrangler's dry run, minified) into a
// scratch folder, and measures the bundle.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { PROJECT_ROOT, wranglerCli } from "./project.ts";

export interface Bundle {
  dir: string;
  /** The ES modules of the bundle, the entry module first. */
  modules: string[];
  bytes: number;
  gzipBytes: number;
  /** The sizes wrangler prints for the upload ("Total Upload: … KiB / gzip: … KiB"). */
  wranglerKiB?: { total: number; gzip: number };
  /** Minified bytes per package (or "src"), largest first, from esbuild's metafile. */
  composition?: { source: string; bytes: number }[];
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/** Groups the bundle's bytes by npm package, or "src" for the project's own code. */
function composition(metafilePath: string): Bundle["composition"] {
  const meta = JSON.parse(readFileSync(metafilePath, "utf8")) as Metafile;
  const bytes = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const source = packageName ?? (input.startsWith("src/") ? "src" : "other");
      bytes.set(source, (bytes.get(source) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes]
    .map(([source, size]) => ({ source, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes);
}

function wranglerSizes(output: string): Bundle["wranglerKiB"] {
  const match = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
  return match ? { total: Number(match[1]), gzip: Number(match[2]) } : undefined;
}

/**
 * Runs `wrangler deploy --dry-run --minify` into `outDir`; throws with wrangler's output.
 * Unminified (for readable CPU profiles) when `minify` is false.
 */
export function buildWorker(outDir: string, minify = true): Bundle {
  // The metafile goes beside the bundle folder, so it is not mistaken for a module.
  const metafile = join(outDir, "..", `${basename(outDir)}-meta.json`);
  const args = [wranglerCli(), "deploy", "--dry-run", "--outdir", outDir, "--metafile", metafile];
  if (minify) args.push("--minify");

  const result = spawnSync(process.execPath, args, {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  if (result.status !== 0) {
    throw new Error(`wrangler build failed:\n${result.stdout}\n${result.stderr}`);
  }

  const modules = readdirSync(outDir)
    .filter((file) => /\.m?js$/.test(file))
    .sort((a, b) => (a === "index.js" ? -1 : b === "index.js" ? 1 : a.localeCompare(b)));
  const source = Buffer.concat(modules.map((file) => readFileSync(join(outDir, file))));

  const bundle: Bundle = {
    dir: outDir,
    modules,
    bytes: source.byteLength,
    gzipBytes: gzipSync(source, { level: 9 }).byteLength,
  };
  const reported = wranglerSizes(result.stdout + result.stderr);
  if (reported) bundle.wranglerKiB = reported;
  bundle.composition = composition(metafile);
  return bundle;
}
