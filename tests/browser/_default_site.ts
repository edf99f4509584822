/**
 * Starts the real server on the default site (config/default.conf) with three changes: an
 * ephemeral port, no access log, and uploads (and sessions, if stored on disk) in a temp directory
 * instead of the repository.
 */
import { join } from "node:path";
import { parseConfig } from "../../lib/config/load.ts";
import { type RunningServer, startServer } from "../../lib/server/listener.ts";

const REPO = join(import.meta.dirname!, "..", "..");
const CONFIG_FILE = join(REPO, "config", "default.conf");

/** The running default site. */
export interface DefaultSite {
  server: RunningServer;
  /** "http://127.0.0.1:<port>" */
  base: string;
  /** The upload_store directory of /uploads/ (a temp dir holding a copy of README.txt). */
  uploads: string;
  /** Stops the server and removes the temp directory. */
  close(): Promise<void>;
}

/** A config argument quoted for the lexer. */
function quote(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** Replaces exactly one match of `pattern` in `text`, or throws naming `what`. */
function replaceOne(text: string, pattern: RegExp, replacement: string, what: string): string {
  const count = [...text.matchAll(new RegExp(pattern.source, pattern.flags + "g"))].length;
  if (count !== 1) {
    throw new Error(`Expected one ${what} in "${CONFIG_FILE}", found ${count}`);
  }
  return text.replace(pattern, replacement);
}

/**
 * Rewrites the default config for a test run. Every edit keeps the line count, so errors still
 * point at the right line of config/default.conf.
 */
export function testConfigText(text: string, tmp: string): string {
  let out = replaceOne(text, /^(\s*)listen\s+[^;]*;/m, "$1listen 127.0.0.1:0;", "listen");
  out = out.replace(/^(\s*)access_log\s+[^;]*;/gm, "$1access_log off;");
  out = out.replace(
    /^(\s*)session_store\s+[^;]*;/gm,
    (_m, indent: string) => `${indent}session_store ${quote(join(tmp, "sessions"))};`,
  );
  const block = /location\s+\/uploads\/\s*\{[^}]*\}/;
  const uploads = block.exec(out)?.[0];
  if (uploads === undefined) throw new Error(`No "location /uploads/" in "${CONFIG_FILE}"`);
  let edited = replaceOne(uploads, /\broot\s+[^;]*;/, `root ${quote(tmp)};`, "uploads root");
  edited = replaceOne(
    edited,
    /\bupload_store\s+[^;]*;/,
    `upload_store ${quote(join(tmp, "uploads"))};`,
    "upload_store",
  );
  return out.replace(uploads, () => edited);
}

/** Starts the default site on 127.0.0.1 with an ephemeral port. */
export async function startDefaultSite(): Promise<DefaultSite> {
  const tmp = await Deno.makeTempDir({ prefix: "webserv-browser-" });
  try {
    const uploads = join(tmp, "uploads");
    await Deno.mkdir(uploads);
    await Deno.mkdir(join(tmp, "sessions"));
    await Deno.copyFile(join(REPO, "public", "uploads", "README.txt"), join(uploads, "README.txt"));
    const text = testConfigText(await Deno.readTextFile(CONFIG_FILE), tmp);
    const server = await startServer(parseConfig(text, CONFIG_FILE));
    const port = server.addrs[0]!.port;
    return {
      server,
      base: `http://127.0.0.1:${port}`,
      uploads,
      async close() {
        try {
          await server.shutdown();
        } finally {
          await Deno.remove(tmp, { recursive: true });
        }
      },
    };
  } catch (err) {
    await Deno.remove(tmp, { recursive: true });
    throw err;
  }
}
