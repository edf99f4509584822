/**
 * Idle connections to one upstream's servers (`keepalive N`): at most N kept, the oldest closed
 * first, each closed after `keepalive_timeout` unused or as soon as its server closes it or sends
 * anything while it is idle (a read stays under way the whole time it waits). A connection is
 * only ever given to one request at a time. The timeout is a deadline in the shared sweep
 * (lib/io/deadlines.ts), not a timer per put: a connection goes in and out once per request.
 */
import type { UpstreamSettings } from "../config/types.ts";
import { type Expirable, unwatch, watch } from "../io/deadlines.ts";
import type { UpstreamConnection } from "./upstream_connection.ts";

interface Idle extends Expirable {
  conn: UpstreamConnection;
  server: number;
  /** Waiting in the pool, given to a request, or closed. */
  state: "idle" | "taken" | "dropped";
}

export class KeepalivePool {
  readonly #idle: Idle[] = [];

  constructor(private readonly settings: UpstreamSettings) {}

  /** An idle connection to server `server`, or null. */
  take(server: number): UpstreamConnection | null {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const idle = this.#idle[i]!;
      if (idle.server !== server) continue;
      this.#idle.splice(i, 1);
      unwatch(idle);
      if (idle.conn.closed || idle.conn.input.pending > 0) {
        idle.conn.close();
        continue;
      }
      // Its read under way is the request's now: what it brings is the answer.
      idle.state = "taken";
      return idle.conn;
    }
    return null;
  }

  /** Keeps a connection whose last answer was read whole, if the pool has room for it. */
  put(server: number, conn: UpstreamConnection): void {
    const { keepalive, keepaliveTimeout, keepaliveRequests } = this.settings;
    if (keepalive === 0 || conn.requests >= keepaliveRequests || conn.input.pending > 0) {
      conn.close();
      return;
    }
    const idle: Idle = {
      conn,
      server,
      state: "idle",
      deadline: Date.now() + keepaliveTimeout,
      expire: () => this.#drop(idle),
    };
    watch(idle);
    // Watch for the server closing it, or sending what belongs to no request.
    conn.input.compact();
    const watchIdle = () => idle.state === "idle" && this.#drop(idle);
    conn.input.fill().then(watchIdle, watchIdle);
    this.#idle.push(idle);
    if (this.#idle.length > keepalive) this.#drop(this.#idle[0]!);
  }

  /** Closes every idle connection (the configuration is done). */
  close(): void {
    for (const idle of [...this.#idle]) this.#drop(idle);
  }

  #drop(idle: Idle): void {
    idle.state = "dropped";
    unwatch(idle);
    const i = this.#idle.indexOf(idle);
    if (i !== -1) this.#idle.splice(i, 1);
    idle.conn.close();
  }
}
