/**
 * The configuration loader's entry points: read → tokenize/parse → read includes → evaluate
 * directives → merge → checks that need I/O.
 */
import { resolve } from "node:path";
import { verifyConfig } from "./checks.ts";
import { ConfigError } from "./config_error.ts";
import { evaluate } from "./evaluate.ts";
import { expandIncludes } from "./include.ts";
import { mergeConfig } from "./merge.ts";
import { type ConfigTree, parseTree } from "./parser.ts";
import type { Config } from "./types.ts";

export { ConfigError, verifyConfig };

/** A loaded configuration and what start-up says about it (`file:line: message` each). */
export interface Loaded {
  config: Config;
  /** Checks that found a problem that does not stop the server (a missing CGI interpreter). */
  warnings: string[];
  /** nginx directives accepted without effect. */
  notices: string[];
}

/** Evaluates and merges a tree whose includes are read. */
function fromTree(tree: ConfigTree, file: string): Config {
  return mergeConfig(evaluate(tree, file, resolve(file)));
}

/**
 * Parses, checks and merges configuration text without includes (tests, and text that is not a
 * file). `file` is used in error messages, and relative paths resolve against its directory.
 * Throws ConfigError on any problem. Checks that need I/O are left in `config.checks` for
 * verifyConfig().
 */
export function parseConfig(text: string, file: string): Config {
  return fromTree(parseTree(text, file), file);
}

/**
 * Reads a configuration file and the files it includes, parses, checks and merges it, then runs
 * the checks that need I/O (directories exist, interpreters are found, listen hosts resolve).
 * Throws ConfigError on any error.
 */
export async function loadConfig(path: string): Promise<Loaded> {
  const tree = await expandIncludes(parseTree(await readMain(path), path), path);
  const config = fromTree(tree, path);
  const warnings = await verifyConfig(config);
  return { config, warnings, notices: config.notices };
}

async function readMain(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    // Any failure to read (missing, unreadable, a directory) is a configuration problem.
    if (!(err instanceof Error)) throw err;
    throw new ConfigError(path, 0, `cannot open: ${err.message}`);
  }
}
