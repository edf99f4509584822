/**
 * Sessions persisted in a directory (`session_store dir;`): one `<id>.json` file per session
 * holding its data, so sessions survive a restart. A file's modification time is its session's
 * last use: reading a session touches it, and expiry is `mtime + timeout`.
 */
import { join } from "node:path";
import { isSessionId, newSessionId } from "./id.ts";
import {
  type SessionData,
  type SessionStore,
  type SessionStoreOptions,
  sweepInterval,
} from "./store.ts";
import { Sweeper } from "./_sweeper.ts";

const SUFFIX = ".json";

/**
 * Every write goes to a temporary file in the same directory that is then renamed over the
 * session's file, so a reader sees the old data or the new, never half of it. The in-memory
 * index (id → last use, least recent first) serves the `session_max` cap; lookups always go to the
 * file, so several instances may share one directory (each then caps what it knows of).
 */
export class DirStore implements SessionStore {
  readonly #dir: string;
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #index = new Map<string, number>();
  #sweeper: Sweeper | null = null;

  private constructor(dir: string, options: SessionStoreOptions) {
    this.#dir = dir;
    this.#timeoutMs = options.timeoutMs;
    this.#max = Math.max(1, options.maxSessions);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens (creating it, mode 0700) the directory, removes expired sessions and temporary files
   * left by a crash, and indexes the rest by last use.
   */
  static async open(dir: string, options: SessionStoreOptions): Promise<DirStore> {
    const store = new DirStore(dir, options);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const found: [string, number][] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      if (entry.name.endsWith(".tmp")) {
        await removeQuietly(join(dir, entry.name));
        continue;
      }
      const id = idOf(entry.name);
      if (id === null) continue;
      const lastUse = await store.#lastUse(id);
      if (lastUse !== null) found.push([id, lastUse]);
    }
    for (const [id, lastUse] of found.sort((a, b) => a[1] - b[1])) store.#index.set(id, lastUse);
    await store.#evict();
    store.#sweeper = new Sweeper(() => store.sweep(), sweepInterval(options));
    return store;
  }

  /** Sessions this instance knows of. */
  get size(): number {
    return this.#index.size;
  }

  async get(id: string): Promise<SessionData | null> {
    // A malformed id never reaches the file system.
    if (!isSessionId(id)) return null;
    if (await this.#lastUse(id) === null) return null;
    let data: SessionData;
    try {
      data = JSON.parse(await Deno.readTextFile(this.#file(id)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return this.#forget(id);
      if (!(e instanceof SyntaxError)) throw e;
      // A damaged file is no session.
      await removeQuietly(this.#file(id));
      return this.#forget(id);
    }
    const now = this.#now();
    try {
      await Deno.utime(this.#file(id), new Date(now), new Date(now));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return this.#forget(id);
      throw e;
    }
    this.#touch(id, now);
    return data;
  }

  async create(data: SessionData): Promise<string> {
    let id = newSessionId();
    while (this.#index.has(id)) id = newSessionId();
    await this.#write(id, data);
    await this.#evict();
    return id;
  }

  async update(id: string, data: SessionData): Promise<boolean> {
    if (!isSessionId(id) || await this.#lastUse(id) === null) return false;
    await this.#write(id, data);
    return true;
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    this.#index.delete(id);
    await removeQuietly(this.#file(id));
  }

  async sweep(): Promise<number> {
    let removed = 0;
    const ids: string[] = [];
    for await (const entry of Deno.readDir(this.#dir)) {
      const id = entry.isFile ? idOf(entry.name) : null;
      if (id !== null) ids.push(id);
    }
    for (const id of ids) {
      const mtime = await this.#mtime(id);
      if (mtime === null || !this.#expired(mtime)) continue;
      await removeQuietly(this.#file(id));
      this.#forget(id);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.#sweeper?.stop();
  }

  #file(id: string): string {
    return join(this.#dir, id + SUFFIX);
  }

  /**
   * The session's last use from its file, or null when it has no file or has expired (the file is
   * then removed). Keeps the index in step.
   */
  async #lastUse(id: string): Promise<number | null> {
    const mtime = await this.#mtime(id);
    if (mtime === null) return this.#forget(id);
    if (this.#expired(mtime)) {
      await removeQuietly(this.#file(id));
      return this.#forget(id);
    }
    return mtime;
  }

  /** The modification time of the session's file, or null when there is no such regular file. */
  async #mtime(id: string): Promise<number | null> {
    try {
      const info = await Deno.lstat(this.#file(id));
      // Only a regular file is a session (not a symlink planted in the directory).
      return info.isFile ? info.mtime?.getTime() ?? 0 : null;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }

  #expired(lastUse: number): boolean {
    return this.#now() - lastUse >= this.#timeoutMs;
  }

  /** Writes the data atomically (temp file, then rename) with the current time as last use. */
  async #write(id: string, data: SessionData): Promise<void> {
    const now = this.#now();
    const temp = join(this.#dir, `.${id}.${newSessionId().slice(0, 12)}.tmp`);
    try {
      await Deno.writeTextFile(temp, JSON.stringify(data), { mode: 0o600, createNew: true });
      await Deno.utime(temp, new Date(now), new Date(now));
      await Deno.rename(temp, this.#file(id));
    } catch (e) {
      await removeQuietly(temp);
      throw e;
    }
    this.#touch(id, now);
  }

  /** Removes the least recently used sessions while more than the cap are known. */
  async #evict(): Promise<void> {
    for (const oldest of this.#index.keys()) {
      if (this.#index.size <= this.#max) break;
      this.#index.delete(oldest);
      await removeQuietly(this.#file(oldest));
    }
  }

  #touch(id: string, lastUse: number): void {
    this.#index.delete(id);
    this.#index.set(id, lastUse);
  }

  #forget(id: string): null {
    this.#index.delete(id);
    return null;
  }
}

/** The id of a session file name ("<id>.json"), or null for any other name. */
function idOf(name: string): string | null {
  if (!name.endsWith(SUFFIX)) return null;
  const id = name.slice(0, -SUFFIX.length);
  return isSessionId(id) ? id : null;
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
