/** Starts the real server on an ephemeral port from a config written for the test. */
import { join } from "node:path";
import { parseConfig } from "../../lib/config/load.ts";
import { type RunningServer, type StartOptions, startServer } from "../../lib/server/listener.ts";
import { killGroup, spawnGroup, waitForListening } from "../bench/_child.ts";

export interface TestServer {
  server: RunningServer;
  /** The first listener's port. */
  port: number;
  /** "http://127.0.0.1:<port>" */
  base: string;
  /** A temporary directory the config lives in; relative paths in it resolve here. */
  dir: string;
  close(): Promise<void>;
}

/**
 * Writes `files` (path → content) under a new temporary directory, parses `config` as if it were
 * `<dir>/test.conf`, and starts the server. Use `listen 127.0.0.1:0;` in the config.
 */
export async function startTestServer(
  config: string,
  files: Record<string, string | Uint8Array> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-test-" });
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  let server: RunningServer;
  try {
    server = await startServer(parseConfig(config, join(dir, "test.conf")), options);
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  const port = server.addrs[0]!.port;
  return {
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    dir,
    async close() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Shuts the server down (which flushes its logs) and returns the lines it wrote to `error.log` in
 * its directory: the test's config says `error_log error.log <level>;`.
 */
export async function stopAndReadErrorLog(s: TestServer): Promise<string[]> {
  await s.server.shutdown();
  const text = await Deno.readTextFile(join(s.dir, "error.log")).catch(() => "");
  return text.split("\n").filter((line) => line !== "");
}

/** Error-log lines of a server problem (level error or above), not a client's mistake. */
export function serverProblems(lines: string[]): string[] {
  return lines.filter((line) => /\[(error|crit|alert|emerg)\]/.test(line));
}

/** Runs `fn` against a server started as startTestServer does, and closes it afterwards. */
export async function withTestServer(
  config: string,
  files: Record<string, string | Uint8Array>,
  fn: (s: TestServer) => Promise<void>,
  options: StartOptions = {},
): Promise<void> {
  const s = await startTestServer(config, files, options);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * Runs `fn` against a server whose config gets `error_log error.log <level>;` in front, and
 * returns what the server wrote to its error log.
 */
export async function withErrorLog(
  config: string,
  files: Record<string, string | Uint8Array>,
  fn: (s: TestServer) => Promise<void>,
  level = "info",
): Promise<string[]> {
  const s = await startTestServer(`error_log error.log ${level};\n${config}`, files);
  try {
    await fn(s);
    return await stopAndReadErrorLog(s);
  } finally {
    await s.close();
  }
}

/** The server as a process of its own (for what must be measured apart from the tests). */
export interface ServerProcess {
  port: number;
  pid: number;
  dir: string;
  /** SIGTERM, wait for the exit, remove the directory. */
  stop(): Promise<void>;
}

/**
 * Writes `files` and `config` (as `test.conf`) into a new directory and runs `main.ts` on it in a
 * process of its own; resolves once it listens (the port read from its `listening on` line).
 */
export async function startServerProcess(
  config: string,
  files: Record<string, string | Uint8Array> = {},
): Promise<ServerProcess> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-process-" });
  for (const [path, content] of Object.entries({ ...files, "test.conf": config })) {
    const full = join(dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  const main = join(import.meta.dirname!, "..", "..", "main.ts");
  const child = spawnGroup(Deno.execPath(), ["run", "-A", main, join(dir, "test.conf")], {
    stdout: "null",
    stderr: "piped",
  });
  try {
    const { port } = await waitForListening(child, "webserv");
    return {
      port,
      pid: child.pid,
      dir,
      async stop() {
        await killGroup(child);
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (e) {
    await killGroup(child);
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
}
