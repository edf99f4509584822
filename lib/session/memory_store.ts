/** Sessions in this process's memory: the default store, lost on restart. */
import { isSessionId, newSessionId } from "./id.ts";
import {
  type SessionData,
  type SessionStore,
  type SessionStoreOptions,
  sweepInterval,
} from "./store.ts";
import { Sweeper } from "./_sweeper.ts";

interface Entry {
  /** The data as JSON: every get returns a fresh copy. */
  json: string;
  lastAccess: number;
}

/**
 * A Map in least-recently-used order (a touched entry is moved to the end), so the cap evicts
 * from the front. Data is kept as JSON text, so callers never share objects with the store.
 */
export class MemoryStore implements SessionStore {
  readonly #sessions = new Map<string, Entry>();
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #sweeper: Sweeper;

  constructor(options: SessionStoreOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#max = Math.max(1, options.maxSessions);
    this.#now = options.now ?? Date.now;
    this.#sweeper = new Sweeper(() => this.sweep(), sweepInterval(options));
  }

  /** Live sessions held now (expired ones not swept yet included). */
  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): Promise<SessionData | null> {
    const entry = this.#live(id);
    if (entry === null) return Promise.resolve(null);
    this.#touch(id, entry);
    return Promise.resolve(JSON.parse(entry.json));
  }

  create(data: SessionData): Promise<string> {
    let id = newSessionId();
    while (this.#sessions.has(id)) id = newSessionId();
    this.#touch(id, { json: JSON.stringify(data), lastAccess: 0 });
    // Over the cap: the least recently used go first (the Map's front).
    for (const oldest of this.#sessions.keys()) {
      if (this.#sessions.size <= this.#max) break;
      this.#sessions.delete(oldest);
    }
    return Promise.resolve(id);
  }

  update(id: string, data: SessionData): Promise<boolean> {
    const entry = this.#live(id);
    if (entry === null) return Promise.resolve(false);
    entry.json = JSON.stringify(data);
    this.#touch(id, entry);
    return Promise.resolve(true);
  }

  delete(id: string): Promise<void> {
    this.#sessions.delete(id);
    return Promise.resolve();
  }

  sweep(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (const [id, entry] of this.#sessions) {
      if (now - entry.lastAccess >= this.#timeoutMs) {
        this.#sessions.delete(id);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  async close(): Promise<void> {
    await this.#sweeper.stop();
  }

  /** The entry of a well-formed, known, unexpired id; an expired one is removed. */
  #live(id: string): Entry | null {
    if (!isSessionId(id)) return null;
    const entry = this.#sessions.get(id);
    if (entry === undefined) return null;
    if (this.#now() - entry.lastAccess >= this.#timeoutMs) {
      this.#sessions.delete(id);
      return null;
    }
    return entry;
  }

  /** Marks an entry used now and moves it to the most-recent end. */
  #touch(id: string, entry: Entry): void {
    entry.lastAccess = this.#now();
    this.#sessions.delete(id);
    this.#sessions.set(id, entry);
  }
}
