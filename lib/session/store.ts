/**
 * The session store interface: what the server needs from wherever session data lives. Memory
 * (memory_store.ts), a directory (dir_store.ts) and Redis (redis_store.ts, shared by several
 * server instances, which also locks a session across them) implement it.
 */

/** A session's data: a JSON object. */
export type SessionData = Record<string, unknown>;

/** What every store is made with. */
export interface SessionStoreOptions {
  /** Idle timeout in milliseconds: a session unused for this long is expired. */
  timeoutMs: number;
  /** Most sessions kept; creating one more evicts the least recently used. */
  maxSessions: number;
  /** The clock in milliseconds since the epoch; `Date.now` when absent (tests inject one). */
  now?: () => number;
  /** Milliseconds between sweeps of expired sessions; min(timeout, 60 s) by default; 0: never. */
  sweepIntervalMs?: number;
}

/**
 * Session storage keyed by ids the store itself issues. Every call validates the id's format
 * first (id.ts): a malformed id is unknown, and is never used as a key or in a path.
 */
export interface SessionStore {
  /**
   * The data of a live session, refreshing its idle timer; null when the id is malformed,
   * unknown or expired (an expired session is removed on the spot).
   */
  get(id: string): Promise<SessionData | null>;
  /** Starts a session holding `data` under a new id and returns the id; may evict the LRU one. */
  create(data: SessionData): Promise<string>;
  /**
   * Replaces a live session's data and refreshes its idle timer. Returns false, storing nothing,
   * when the session is gone (expired, deleted, evicted): a late write never brings one back.
   */
  update(id: string, data: SessionData): Promise<boolean>;
  /** Removes a session; an unknown or malformed id is not an error. */
  delete(id: string): Promise<void>;
  /** Removes every expired session and resolves to how many were removed. */
  sweep(): Promise<number>;
  /** Stops the periodic sweep and waits for work in progress. The data stays where it is kept. */
  close(): Promise<void>;
  /**
   * A store shared by several processes holds a session for one request at a time across all of
   * them (the hub's own locks cover this process): waits for another holder at most `maxWaitMs`,
   * then goes on without it, as the in-process locks do. Resolves to the release.
   */
  lock?(id: string, maxWaitMs: number): Promise<() => void>;
}

/** The default pause between sweeps: the timeout, at most a minute. */
export function sweepInterval(options: SessionStoreOptions): number {
  return options.sweepIntervalMs ?? Math.min(options.timeoutMs, 60_000);
}
