/**
 * The file through which a CGI script reads and writes its session: the server writes the data
 * as JSON to a private file before the script runs and reads it back after the script exits.
 */
import { join } from "node:path";
import { newSessionId } from "./id.ts";
import type { SessionData } from "./store.ts";

/** The largest session data a script may leave (bytes of JSON). */
export const MAX_SESSION_BYTES = 64 * 1024;

/** What a script left in its session file. */
export type SessionFileResult =
  | { ok: true; data: SessionData; text: string }
  | { ok: false; error: string };

/** Writes `text` (the data as JSON) to a new file of mode 0600 in `dir`; returns its path. */
export async function writeSessionFile(dir: string, text: string): Promise<string> {
  // A random name, not the session id: two requests of one session get two files.
  const path = join(dir, `${newSessionId()}.json`);
  await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
  return path;
}

/**
 * Reads a session file back: it must be a regular file of at most `maxBytes` holding a JSON
 * object. An empty JSON array counts as an empty object (PHP's `json_encode([])` writes `[]`).
 */
export async function readSessionFile(
  path: string,
  maxBytes: number = MAX_SESSION_BYTES,
): Promise<SessionFileResult> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, error: "Session file is missing" };
    throw e;
  }
  let text: string;
  try {
    const info = await file.stat();
    if (!info.isFile) return { ok: false, error: "Session file is not a regular file" };
    if (info.size > maxBytes) {
      return { ok: false, error: `Session data is larger than ${maxBytes} bytes` };
    }
    const bytes = await readUpTo(file, maxBytes + 1);
    if (bytes.length > maxBytes) {
      return { ok: false, error: `Session data is larger than ${maxBytes} bytes` };
    }
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof TypeError) return { ok: false, error: "Session data is not UTF-8" };
    throw e;
  } finally {
    file.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "Session data is not JSON" };
  }
  if (Array.isArray(value) && value.length === 0) return { ok: true, data: {}, text };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "Session data is not a JSON object" };
  }
  return { ok: true, data: value as SessionData, text };
}

/** Reads at most `limit` bytes from the start of a file. */
async function readUpTo(file: Deno.FsFile, limit: number): Promise<Uint8Array> {
  const buf = new Uint8Array(limit);
  let filled = 0;
  while (filled < limit) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buf.subarray(0, filled);
}
