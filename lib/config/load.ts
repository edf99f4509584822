/** The configuration loader's entry points: read → tokenize/parse → evaluate directives → merge. */
import { resolve } from "node:path";
import { ConfigError } from "./config_error.ts";
import { evaluate } from "./evaluate.ts";
import { mergeConfig } from "./merge.ts";
import { parseTree } from "./parser.ts";
import type { Config } from "./types.ts";

export { ConfigError };

/**
 * Parses, checks and merges configuration text. `file` is used in error messages, and relative
 * paths resolve against its directory. Throws ConfigError on any problem.
 */
export function parseConfig(text: string, file: string): Config {
  const tree = parseTree(text, file);
  return mergeConfig(evaluate(tree, file, resolve(file)));
}

/** Reads, parses, checks and merges a config file. Throws ConfigError on any problem. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    // Any failure to read (missing, unreadable, a directory) is a configuration problem.
    if (!(err instanceof Error)) throw err;
    throw new ConfigError(path, 0, `cannot open: ${err.message}`);
  }
  return parseConfig(text, path);
}
