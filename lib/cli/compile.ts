/**
 * `deno task compile [--target T] [--out-dir D]`: builds the single executable
 * `D/webserv-<target>` (default: this machine's target, in dist/). `deno compile` downloads Deno's
 * `denort` runtime for the target (or takes DENORT_BIN), so it needs Deno's download servers.
 */
import { join } from "node:path";
import { compileArgs, parseCompileOptions } from "./compile_args.ts";

if (import.meta.main) {
  let options;
  try {
    options = parseCompileOptions(Deno.args, Deno.build.target);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const root = join(import.meta.dirname!, "..", "..");
  const args = compileArgs(options.target, options.outDir);
  console.error(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args, cwd: root }).spawn().status;
  Deno.exit(code);
}
