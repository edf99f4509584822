/** A server block's sessions: its store, its private directory of session files, its cookie. */
import type { ServerConfig } from "../config/types.ts";
import { getHeaders } from "./_headers.ts";
import type { RequestHead } from "../http/request.ts";
import { CgiSession, type SessionContext } from "./cgi_session.ts";
import { DirStore } from "./dir_store.ts";
import { MemoryStore } from "./memory_store.ts";
import { RedisStore } from "./redis_store.ts";
import { isRedisUrl } from "./redis_url.ts";
import { type Release, SessionLocks } from "./_locks.ts";
import { claimedSessionId, resolveSession, type SessionCookieOptions } from "./session.ts";
import type { SessionStore, SessionStoreOptions } from "./store.ts";
import { writeSessionFile } from "./session_file.ts";

export interface SessionHubOptions {
  /** How the cookie is written (name, Max-Age, Secure). */
  cookie?: SessionCookieOptions;
  /** Where problems with session files go; console.error when absent. */
  log?: (line: string) => void;
  /** Store options beyond the server's (a clock, the sweep interval), for tests. */
  store?: Partial<SessionStoreOptions>;
}

/**
 * Owns one store and one temporary directory (mode 0700) for the files scripts read and write.
 * Made at start-up for a server that has `session on` somewhere, closed at shutdown.
 */
export class SessionHub implements SessionContext {
  /** Sessions being stored after their script: close() waits for them. */
  readonly #pending = new Set<Promise<void>>();
  /** Configurations using this hub: a reload hands it on instead of reopening it. */
  #users = 0;
  /** One script at a time per session, so that none reads data another is about to change. */
  readonly locks = new SessionLocks();

  private constructor(
    readonly store: SessionStore,
    /** The private directory of per-request session files. */
    readonly fileDir: string,
    readonly cookie: SessionCookieOptions,
    readonly log: (line: string) => void,
  ) {}

  /** Opens the server's store (`session_store`: memory, a directory, Redis) and file directory. */
  static async open(server: ServerConfig, options: SessionHubOptions = {}): Promise<SessionHub> {
    const settings = server.sessions;
    const storeOptions: SessionStoreOptions = {
      timeoutMs: settings.timeout,
      maxSessions: settings.max,
      ...options.store,
    };
    const log = options.log ?? console.error;
    const store = settings.store === null
      ? new MemoryStore(storeOptions)
      : isRedisUrl(settings.store)
      ? new RedisStore(settings.store, { ...storeOptions, log })
      : await DirStore.open(settings.store, storeOptions);
    let fileDir: string;
    try {
      fileDir = await Deno.makeTempDir({ prefix: "webserv-sessions-" });
      await Deno.chmod(fileDir, 0o700);
    } catch (e) {
      await store.close();
      throw e;
    }
    const cookie = options.cookie ?? {
      maxAge: settings.cookieMaxAge > 0 ? settings.cookieMaxAge : undefined,
      secure: settings.cookieSecure,
    };
    return new SessionHub(store, fileDir, cookie, log);
  }

  /**
   * Resolves the request's session (rotating an unknown id) and writes its data to a new file
   * for the script. A session another script is using is waited for (until that script's data is
   * stored, at most `maxWaitMs`): the follow-up of a redirect must see what the script stored, and
   * two requests must not both add one to the same counter. `label` names the script in logs.
   */
  async begin(
    head: RequestHead,
    label: string,
    maxWaitMs = 30_000,
    secure = false,
  ): Promise<CgiSession> {
    const cookies = getHeaders(head, "cookie");
    const claimed = claimedSessionId(cookies, this.cookie.name);
    const held: Release[] = [];
    try {
      if (claimed !== null) {
        held.push(await this.locks.acquire(claimed, maxWaitMs));
        // A shared store: other instances' requests of the session are waited for too.
        if (this.store.lock !== undefined) held.push(await this.store.lock(claimed, maxWaitMs));
      }
      const resolved = await resolveSession(this.store, cookies, this.cookie.name);
      if (resolved.id !== claimed) {
        held.push(await this.locks.acquire(resolved.id, 0));
        // Another instance that gets the next request of this new session waits for its data.
        if (this.store.lock !== undefined) held.push(await this.store.lock(resolved.id, maxWaitMs));
      }
      const text = JSON.stringify(resolved.data);
      const file = await writeSessionFile(this.fileDir, text);
      return new CgiSession(this, resolved, file, text, label, held, secure);
    } catch (e) {
      for (const release of held) release();
      throw e;
    }
  }

  /** Keeps `work` (which never rejects) in view until it settles, for close(). */
  track(work: Promise<void>): Promise<void> {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
    return work;
  }

  /** One more configuration uses the hub. */
  retain(): void {
    this.#users++;
  }

  /** One configuration less uses the hub; the last one closes it. */
  async release(): Promise<void> {
    if (--this.#users > 0) return;
    await this.close();
  }

  /**
   * Waits for sessions being stored, closes the store and removes the file directory with
   * whatever is left in it.
   */
  async close(): Promise<void> {
    await Promise.all(this.#pending);
    await this.store.close();
    await Deno.remove(this.fileDir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}
