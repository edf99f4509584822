/**
 * Sessions in Redis (`session_store redis://[[user]:password@]host[:port][/db];`, `rediss://` for
 * TLS), shared by every server instance that names the same database: the store for more than one
 * process or machine.
 *
 * The client is node-redis (`npm:redis`), Redis's own client for JavaScript: maintained by Redis,
 * it speaks RESP2/3, TLS and AUTH with a user, and reconnects by itself; it was checked to work
 * under Deno 2.9.6 (../../../shared/DENO_NOTES.md). It is made to fail fast: no offline queue (a
 * command while disconnected rejects at once) and a time limit on every command, so a Redis that
 * is down or stalled gives a 503 and an error-log line instead of requests that hang.
 *
 * Layout (every change is one Lua script, atomic across instances):
 *   webserv:session:<id>  hash { d: data as JSON, t: last use in ms }, PEXPIRE = the idle timeout
 *   webserv:sessions      sorted set id → last use, for `session_max` (least recently used first)
 * The idle timeout is checked against `t` with this process's clock (so tests can move it), and
 * Redis's own expiry removes what no instance looks at again.
 */
// Pinned inline (and in deno.lock) so that deno.json needs no import map, as htpasswd.ts does.
// deno-lint-ignore no-import-prefix
import { createClient } from "npm:redis@4.7.0";
import { HttpError } from "../http/errors.ts";
import { isSessionId, newSessionId } from "./id.ts";
import {
  type SessionData,
  type SessionStore,
  type SessionStoreOptions,
  sweepInterval,
} from "./store.ts";
import { Sweeper } from "./_sweeper.ts";
import { redactedUrl } from "./redis_url.ts";

const PREFIX = "webserv:session:";
/** `webserv:lock:<id>` holds a random token while one request of any instance uses the session. */
const LOCK_PREFIX = "webserv:lock:";
/** How often a request waiting for a session held elsewhere asks again. */
const LOCK_POLL_MS = 10;
const INDEX = "webserv:sessions";
/** How long one Redis command may take before the request gets a 503. */
const COMMAND_TIMEOUT_MS = 2000;

export interface RedisStoreOptions extends SessionStoreOptions {
  /** Where failures of Redis go (the error log); console.error when absent. */
  log?: (line: string) => void;
  /** How long one command may take (ms); 2000 when absent. */
  commandTimeoutMs?: number;
}

// Scripts: KEYS[1] the session, KEYS[2] the index; ARGV[1] now, ARGV[2] the timeout, ARGV[3] the id.

/** The session's data if it is live (refreshing its last use), else nil (an expired one goes). */
const GET = `
local t = redis.call('HGET', KEYS[1], 't')
if not t then redis.call('ZREM', KEYS[2], ARGV[3]) return false end
if tonumber(ARGV[1]) - tonumber(t) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1]) redis.call('ZREM', KEYS[2], ARGV[3]) return false
end
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return redis.call('HGET', KEYS[1], 'd')`;

/** Replaces a live session's data (ARGV[4]); 1, or 0 when it is gone (nothing is stored). */
const UPDATE = `
local t = redis.call('HGET', KEYS[1], 't')
if not t or tonumber(ARGV[1]) - tonumber(t) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1]) redis.call('ZREM', KEYS[2], ARGV[3]) return 0
end
redis.call('HSET', KEYS[1], 'd', ARGV[4], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return 1`;

/**
 * Creates a session (0 when the id is taken), then drops expired index entries and, past the cap
 * (ARGV[5]), the least recently used sessions. ARGV[6] is the key prefix.
 */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[4], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[2]) + 1), 'LIMIT', 0, 1000)
for _, id in ipairs(stale) do redis.call('DEL', ARGV[6] .. id) end
if #stale > 0 then redis.call('ZREM', KEYS[2], unpack(stale)) end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[6] .. oldest[i]) end
end
return 1`;

/** Removes sessions unused for the timeout (KEYS[1] the index; 1000 a call); how many there were. */
const SWEEP = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[2]) + 1), 'LIMIT', 0, 1000)
local removed = 0
for _, id in ipairs(stale) do removed = removed + redis.call('DEL', ARGV[3] .. id) end
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
return removed`;

/** Releases a lock only if it still holds this holder's token (ARGV[1]). */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Client = ReturnType<typeof createClient>;

export class RedisStore implements SessionStore {
  readonly #client: Client;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #commandTimeoutMs: number;
  readonly #connecting: Promise<void>;
  readonly #sweeper: Sweeper;
  /** Lock releases on their way to Redis: close() waits for them. */
  readonly #releasing = new Set<Promise<unknown>>();
  #closed = false;

  /**
   * Starts connecting and returns at once: a Redis that is down when the server starts is a 503
   * for the requests that need sessions, and the client keeps trying to reconnect.
   */
  constructor(url: string, options: RedisStoreOptions) {
    this.#url = redactedUrl(url);
    this.#timeoutMs = options.timeoutMs;
    this.#max = Math.max(1, options.maxSessions);
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? console.error;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    this.#client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.#commandTimeoutMs,
        // Retry every 100 ms at first, then once a second, for as long as the store is open.
        reconnectStrategy: (retries: number) => Math.min(100 * (retries + 1), 1000),
      },
    });
    // Without a listener an "error" event would end the process; each one is logged (repeats are
    // counted by the error log).
    this.#client.on("error", (e: unknown) => {
      if (!this.#closed) this.#log(`session store "${this.#url}" failed: ${describe(e)}`);
    });
    // connect() settles only once a connection is made (it keeps retrying while Redis is down or
    // refuses the password): nothing waits for it; the first outcome is kept for tests.
    this.#connecting = new Promise<void>((resolve) => {
      this.#client.once("ready", resolve);
      this.#client.once("error", resolve);
    });
    this.#client.connect().catch(() => {});
    this.#sweeper = new Sweeper(() => this.sweep(), sweepInterval(options));
  }

  /** Sessions in the index (live ones, and expired ones not swept yet), with a round trip. */
  get size(): Promise<number> {
    return this.#run(() => this.#client.zCard(INDEX));
  }

  /** Resolves once the first connection attempt is over (ready, or an error); for tests. */
  get connecting(): Promise<void> {
    return this.#connecting;
  }

  async get(id: string): Promise<SessionData | null> {
    if (!isSessionId(id)) return null;
    const json = await this.#script(GET, [PREFIX + id, INDEX], [id]);
    return typeof json === "string" ? parseData(json) : null;
  }

  async create(data: SessionData): Promise<string> {
    const json = JSON.stringify(data);
    for (;;) {
      const id = newSessionId();
      const made = await this.#script(CREATE, [PREFIX + id, INDEX], [
        id,
        json,
        String(this.#max),
        PREFIX,
      ]);
      if (made === 1) return id;
    }
  }

  async update(id: string, data: SessionData): Promise<boolean> {
    if (!isSessionId(id)) return false;
    const done = await this.#script(UPDATE, [PREFIX + id, INDEX], [id, JSON.stringify(data)]);
    return done === 1;
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    await this.#run(() => this.#client.multi().del(PREFIX + id).zRem(INDEX, id).exec());
  }

  async sweep(): Promise<number> {
    const removed = await this.#script(SWEEP, [INDEX], [PREFIX]);
    return typeof removed === "number" ? removed : 0;
  }

  /**
   * Holds the session across every instance: `SET lock token NX PX` (the expiry frees the lock of
   * an instance that died holding it), asked again every 10 ms until `maxWaitMs` has passed; then
   * the request goes on without it, as the in-process locks do. The release deletes the lock only
   * if it still holds this token.
   */
  async lock(id: string, maxWaitMs: number): Promise<() => void> {
    if (!isSessionId(id)) return () => {};
    const key = LOCK_PREFIX + id;
    const token = newSessionId();
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const taken = await this.#run(() =>
        this.#client.set(key, token, { NX: true, PX: Math.max(1000, maxWaitMs) })
      );
      if (taken === "OK" || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const unlock = this.#run(() => this.#client.eval(UNLOCK, { keys: [key], arguments: [token] }))
        .catch(() => {});
      this.#releasing.add(unlock);
      unlock.finally(() => this.#releasing.delete(unlock));
    };
  }

  /**
   * Stops the sweeps, waits for the lock releases under way (another instance must not wait for
   * the lock of a server that stopped), then quits, which lets the commands sent get their answer.
   */
  async close(): Promise<void> {
    await this.#sweeper.stop();
    await Promise.all(this.#releasing);
    this.#closed = true;
    // Connected: QUIT (within the time limit). Down, or reconnecting: drop the socket at once.
    if (this.#client.isReady) {
      await this.#run(() => this.#client.quit()).catch(() => {});
    }
    if (this.#client.isOpen) await this.#client.disconnect().catch(() => {});
  }

  /** Runs a script with `now` and the timeout ahead of `args`. */
  #script(source: string, keys: string[], args: string[]): Promise<unknown> {
    const argv = [String(this.#now()), String(this.#timeoutMs), ...args];
    return this.#run(() => this.#client.eval(source, { keys, arguments: argv }));
  }

  /**
   * Runs a command within the time limit. A failure (down, stalled, refused) is logged and becomes
   * HttpError 503, which the request is answered with.
   */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.#commandTimeoutMs} ms`)),
        this.#commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([command(), late]);
    } catch (e) {
      this.#log(`session store "${this.#url}" failed: ${describe(e)}`);
      throw new HttpError(503, `Session store "${this.#url}" is unavailable`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Stored data that is not a JSON object (written by something else) is no session. */
function parseData(json: string): SessionData | null {
  try {
    const data: unknown = JSON.parse(json);
    return typeof data === "object" && data !== null && !Array.isArray(data)
      ? data as SessionData
      : null;
  } catch {
    return null;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
