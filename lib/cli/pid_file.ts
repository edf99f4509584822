/**
 * The pid file (`pid file;`, nginx's directive): the running server writes its process id there,
 * `webserv -s …` reads it to know whom to signal.
 */
import { dirname, join } from "node:path";
import type { Config } from "../config/types.ts";

/** Where the pid file goes without a `pid` directive, relative to the configuration's directory. */
export const DEFAULT_PID_FILE = join("logs", "webserv.pid");

/** The pid file of a configuration: its `pid` directive, else `logs/webserv.pid` beside it. */
export function pidFilePath(config: Pick<Config, "file" | "pid">): string {
  return config.pid ?? join(dirname(config.file), DEFAULT_PID_FILE);
}

/**
 * Writes `pid` and a newline to `path` (mode 0644), creating its directory, as nginx writes its
 * own. Throws the file system's error.
 */
export async function writePidFile(path: string, pid: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, `${pid}\n`, { mode: 0o644 });
}

/** What reading a pid file gave: a process id, or the reason there is none. */
export type PidRead = { ok: true; pid: number } | { ok: false; error: string };

/** Reads a pid file; the errors are worded as nginx's for `-s`. */
export async function readPidFile(path: string): Promise<PidRead> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `cannot open pid file "${path}": ${reason}` };
  }
  const trimmed = text.trim();
  // A positive decimal number that fits a pid; nothing else (not "-1": that signals every process).
  if (!/^[1-9]\d{0,9}$/.test(trimmed) || Number(trimmed) > 2 ** 31 - 1) {
    return { ok: false, error: `invalid PID number "${trimmed}" in "${path}"` };
  }
  return { ok: true, pid: Number(trimmed) };
}

/**
 * Removes the pid file at exit when it still holds `pid` (a newer server may have written its own
 * there since); never throws.
 */
export async function removePidFile(path: string, pid: number): Promise<void> {
  const read = await readPidFile(path);
  if (!read.ok || read.pid !== pid) return;
  await Deno.remove(path).catch(() => {});
}

/** The pid file a serving process holds: written at start, moved by a reload, removed at exit. */
export class PidFile {
  private constructor(private path: string, private readonly pid: number) {}

  /** Writes the pid file; throws an Error naming the file when it cannot be written. */
  static async create(path: string, pid = Deno.pid): Promise<PidFile> {
    await write(path, pid);
    return new PidFile(path, pid);
  }

  /** The file written now. */
  get current(): string {
    return this.path;
  }

  /**
   * A reload whose configuration names another pid file: writes the new one, then removes the old
   * (nginx does the same). Throws, keeping the old file, when the new one cannot be written.
   */
  async moveTo(path: string): Promise<void> {
    if (path === this.path) return;
    await write(path, this.pid);
    await removePidFile(this.path, this.pid);
    this.path = path;
  }

  /** Removes the file if it still holds this process's id. */
  remove(): Promise<void> {
    return removePidFile(this.path, this.pid);
  }
}

async function write(path: string, pid: number): Promise<void> {
  try {
    await writePidFile(path, pid);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot write pid file "${path}": ${reason}`);
  }
}
