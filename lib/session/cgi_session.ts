/**
 * One CGI request's session: the variables the script gets, the `X-Session` header it may send,
 * the cookie the response carries, and storing what the script left in its session file.
 */
import type { Release, SessionLocks } from "./_locks.ts";
import {
  expiredSessionCookie,
  regenerateSession,
  type ResolvedSession,
  sessionCookie,
  type SessionCookieOptions,
} from "./session.ts";
import { readSessionFile } from "./session_file.ts";
import type { SessionStore } from "./store.ts";

/** What a request's session needs of the server's sessions (a SessionHub provides it). */
export interface SessionContext {
  readonly store: SessionStore;
  readonly cookie: SessionCookieOptions;
  readonly locks: SessionLocks;
  readonly log: (line: string) => void;
  /** Keeps `work` (which never rejects) in view until it settles, for shutdown. */
  track(work: Promise<void>): Promise<void>;
}

/** The response header a script uses to ask for `destroy` or `regenerate`; never sent on. */
export const SESSION_CONTROL_HEADER = "x-session";

export class CgiSession {
  #id: string;
  #issued: boolean;
  #destroyed = false;
  #finishing: Promise<void> | null = null;
  /** respond() at work: finish() waits for it (the id may change). */
  #responding: Promise<unknown> = Promise.resolve();
  readonly #cookie: SessionCookieOptions;

  constructor(
    private readonly hub: SessionContext,
    resolved: ResolvedSession,
    /** The session file given to the script. */
    readonly file: string,
    /** The data as written to the file, to skip storing it when the script left it alone. */
    private readonly text: string,
    private readonly label: string,
    /** Holds on the session's ids, released once its data is stored. */
    private readonly held: Release[] = [],
    /** The request came over TLS: the cookie is `Secure` whatever session_cookie_secure says. */
    secure = false,
  ) {
    this.#id = resolved.id;
    this.#issued = resolved.issued;
    this.#cookie = secure ? { ...hub.cookie, secure: true } : hub.cookie;
  }

  /** The session's id (a new one after `regenerate`). */
  get id(): string {
    return this.#id;
  }

  /** `SESSION_ID` and `SESSION_FILE` for the script's environment. */
  get env(): Record<string, string> {
    return { SESSION_ID: this.#id, SESSION_FILE: this.file };
  }

  /**
   * Applies the script's header block: strips `X-Session` and acts on it (`destroy`: the session
   * is removed and the cookie expired; `regenerate`: the data moves to a new id), then adds the
   * cookie when the id is new. The script's own Set-Cookie headers pass through unchanged.
   */
  respond(headers: [string, string][]): Promise<[string, string][]> {
    const work = this.#respond(headers);
    this.#responding = work.catch(() => {});
    return work;
  }

  async #respond(headers: [string, string][]): Promise<[string, string][]> {
    const out: [string, string][] = [];
    const asked = new Set<string>();
    for (const field of headers) {
      if (field[0].toLowerCase() !== SESSION_CONTROL_HEADER) out.push(field);
      else asked.add(field[1].trim().toLowerCase());
    }
    for (const action of asked) {
      if (action !== "destroy" && action !== "regenerate") {
        this.hub.log(`webserv: unknown "X-Session: ${action}" from "${this.label}" ignored`);
      }
    }
    if (asked.has("destroy")) {
      this.#destroyed = true;
      await this.hub.store.delete(this.#id);
      out.push(["Set-Cookie", expiredSessionCookie(this.#cookie)]);
      return out;
    }
    if (asked.has("regenerate")) {
      this.#id = await regenerateSession(this.hub.store, this.#id, JSON.parse(this.text));
      // The redirect after a login comes back with the new id: it waits for the data.
      this.held.push(await this.hub.locks.acquire(this.#id, 0));
      const shared = this.hub.store.lock;
      if (shared !== undefined) this.held.push(await shared.call(this.hub.store, this.#id, 30_000));
      this.#issued = true;
    }
    if (this.#issued) out.push(["Set-Cookie", sessionCookie(this.#id, this.#cookie)]);
    return out;
  }

  /**
   * Stores what the script left in the session file (unless the session was destroyed), then
   * removes the file. Call after the script has exited; safe to call more than once; never
   * rejects (problems are logged).
   */
  finish(): Promise<void> {
    this.#finishing ??= this.hub.track(
      this.#store().catch((e) => {
        this.hub.log(`webserv: cannot store the session of "${this.label}": ${e}`);
      }).finally(() => this.#release()),
    );
    return this.#finishing;
  }

  /** The script gave no response: removes the file, and the session when it was new. */
  async abandon(): Promise<void> {
    this.#finishing ??= this.hub.track(
      (async () => {
        if (this.#issued) await this.hub.store.delete(this.#id);
      })().catch((e) => {
        this.hub.log(`webserv: cannot drop the session of "${this.label}": ${e}`);
      }).finally(() => this.#release()),
    );
    await this.#finishing;
  }

  async #store(): Promise<void> {
    await this.#responding;
    if (this.#destroyed) return;
    const result = await readSessionFile(this.file);
    if (!result.ok) {
      this.hub.log(`webserv: session data from "${this.label}" ignored: ${result.error}`);
      return;
    }
    // Unchanged: the lookup already refreshed the idle timer.
    if (result.text === this.text) return;
    // A session destroyed meanwhile (logout in another tab) stays destroyed.
    await this.hub.store.update(this.#id, result.data);
  }

  /** Removes the session file and lets the next request of the session in. */
  async #release(): Promise<void> {
    try {
      await Deno.remove(this.file);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        this.hub.log(`webserv: cannot remove session file "${this.file}": ${e}`);
      }
    } finally {
      for (const release of this.held) release();
    }
  }
}
