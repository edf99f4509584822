/**
 * Checks that need the file system or the resolver, queued while the file is read and run by
 * verifyConfig(): each answers with an error message, or null when all is well.
 */
import { lookup } from "node:dns/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { CGI_PATH } from "../cgi/env.ts";
import { ConfigError } from "./config_error.ts";
import type { Config } from "./types.ts";

/**
 * Runs every deferred check of a configuration: throws the first error as a ConfigError, and
 * returns the warnings (`file:line: message`).
 */
export async function verifyConfig(config: Config): Promise<string[]> {
  const results = await Promise.all(config.checks.map((check) => check.run()));
  const warnings: string[] = [];
  for (const [i, message] of results.entries()) {
    if (message === null) continue;
    const { pos: { file, line }, severity } = config.checks[i]!;
    const problem = new ConfigError(file, line, message);
    if (severity === "error") throw problem;
    warnings.push(problem.message);
  }
  return warnings;
}

/** `dir` must be an existing directory; `what` names it in the message. */
export async function directoryExists(dir: string, what: string): Promise<string | null> {
  try {
    if ((await Deno.stat(dir)).isDirectory) return null;
    return `${what} "${dir}" is not a directory`;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `${what} "${dir}" does not exist`;
    return `${what} "${dir}" cannot be used: ${(e as Error).message}`;
  }
}

/** Whether `path` is a regular file someone may execute. */
async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/**
 * A CGI interpreter must be an executable file; a bare name is looked up on the PATH that
 * scripts run with (the server's own environment is not passed to them).
 */
export async function interpreterFound(interpreter: string): Promise<string | null> {
  if (isAbsolute(interpreter)) {
    if (await isExecutable(interpreter)) return null;
    return `cgi interpreter "${interpreter}" is not an executable file`;
  }
  for (const dir of CGI_PATH.split(delimiter)) {
    if (await isExecutable(join(dir, interpreter))) return null;
  }
  return `cgi interpreter "${interpreter}" not found in ${CGI_PATH}`;
}

/**
 * A host name in `listen`, `server` of an upstream or `proxy_pass` must resolve, as nginx checks
 * when it reads the file; `failure` is the message when it does not.
 */
export async function hostResolves(host: string, failure: string): Promise<string | null> {
  try {
    await lookup(host);
    return null;
  } catch {
    return failure;
  }
}

/**
 * A certificate and key files must be readable PEM that rustls takes as a pair (tried on a
 * listener bound to a loopback port and closed at once).
 */
export async function certificatePairLoads(cert: string, key: string): Promise<string | null> {
  const read = async (path: string, what: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (e) {
      throw `cannot load ${what} "${path}": ${(e as Error).message}`;
    }
  };
  try {
    const pem = { cert: await read(cert, "certificate"), key: await read(key, "certificate key") };
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pem }).close();
    return null;
  } catch (e) {
    if (typeof e === "string") return e;
    return `cannot use certificate "${cert}" with key "${key}": ${(e as Error).message}`;
  }
}
