/**
 * The `deno compile` command line of `deno task compile [--target T]`: one place that says what the
 * executable may do, what it carries, and what it is called.
 */

/** The targets release.yml builds (Deno's names, as `deno compile --target` takes them). */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** What the server needs, and nothing more: `deno task start`'s permissions. */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
] as const;

/** Embedded beside main.ts: the default config, the demo site and its CGI scripts. */
export const INCLUDED = ["config", "public", "cgi"] as const;

/** The executable's file name for a target: `webserv-<target>`, with `.exe` for Windows. */
export function outputName(target: string): string {
  return `webserv-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** The arguments to `deno` for compiling main.ts for `target` into `outDir`. */
export function compileArgs(target: string, outDir: string): string[] {
  return [
    "compile",
    ...PERMISSIONS,
    ...INCLUDED.flatMap((dir) => ["--include", dir]),
    // A node_modules/ in the folder would be embedded whole (182 MB seen); and only the npm
    // packages the server imports (redis, bcryptjs), not the tests' (playwright-core).
    "--exclude",
    "node_modules",
    "--exclude-unused-npm",
    // The pid file of a server run from the checkout (config/logs/webserv.pid).
    "--exclude",
    "config/logs",
    "--target",
    target,
    "--output",
    `${outDir}/${outputName(target)}`,
    "main.ts",
  ];
}

/** Reads `[--target T] [--out-dir D]`; the target defaults to this machine's, the folder to dist. */
export function parseCompileOptions(
  argv: readonly string[],
  hostTarget: string,
): { target: string; outDir: string } {
  let target = hostTarget;
  let outDir = "dist";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if ((arg === "--target" || arg === "--out-dir") && value !== undefined) {
      if (arg === "--target") target = value;
      else outDir = value;
      i++;
    } else {
      throw new Error(`Unknown argument "${arg}": use [--target T] [--out-dir D]`);
    }
  }
  return { target, outDir };
}
