/** The configuration loader's entry points: read → tokenize/parse → evaluate directives → merge. */
import { resolve } from "node:path";
import { verifyConfig } from "./checks.ts";
import { ConfigError } from "./config_error.ts";
import { evaluate } from "./evaluate.ts";
import { mergeConfig } from "./merge.ts";
import { parseTree } from "./parser.ts";
import type { Config } from "./types.ts";

export { ConfigError, verifyConfig };

/**
 * Parses, checks and merges configuration text. `file` is used in error messages, and relative
 * paths resolve against its directory. Throws ConfigError on any problem. Checks that need I/O
 * are left in `config.checks` for verifyConfig().
 */
export function parseConfig(text: string, file: string): Config {
  const tree = parseTree(text, file);
  return mergeConfig(evaluate(tree, file, resolve(file)));
}

/** A loaded configuration and what its checks warned about (`file:line: message`). */
export interface Loaded {
  config: Config;
  warnings: string[];
}

/**
 * Reads, parses, checks and merges a config file, then runs the checks that need I/O (directories
 * exist, interpreters are found, listen hosts resolve). Throws ConfigError on any error.
 */
export async function loadConfig(path: string): Promise<Config> {
  return (await loadConfigWithWarnings(path)).config;
}

/** As loadConfig(), and also returns the warnings. */
export async function loadConfigWithWarnings(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    // Any failure to read (missing, unreadable, a directory) is a configuration problem.
    if (!(err instanceof Error)) throw err;
    throw new ConfigError(path, 0, `cannot open: ${err.message}`);
  }
  const config = parseConfig(text, path);
  const warnings = await verifyConfig(config);
  return { config, warnings };
}
