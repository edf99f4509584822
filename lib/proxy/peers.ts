/**
 * Which server of an upstream a request goes to (nginx's round robin,
 * ngx_http_upstream_round_robin.c): smooth weighted round robin among the primary servers that
 * are up; a server that failed `max_fails` times within `fail_timeout` is skipped for
 * `fail_timeout`; the backup servers only when no primary one can be used. A lone server is never
 * skipped (nginx ignores max_fails for it).
 */
import type { UpstreamServer, UpstreamSettings } from "../config/types.ts";

interface PeerState {
  server: UpstreamServer;
  index: number;
  current: number;
  fails: number;
  /** When the last failure was counted (ms since the epoch). */
  failedAt: number;
}

export class Peers {
  readonly #primary: PeerState[];
  readonly #backup: PeerState[];

  constructor(readonly settings: UpstreamSettings) {
    const states = settings.servers.map((server, index) => ({
      server,
      index,
      current: 0,
      fails: 0,
      failedAt: 0,
    }));
    this.#primary = states.filter((s) => !s.server.backup);
    this.#backup = states.filter((s) => s.server.backup);
  }

  /**
   * The next server to try, skipping those in `tried`; null when none can be used ("no live
   * upstreams"), after which every server counts as up again (nginx's quick recovery).
   */
  pick(tried: ReadonlySet<number>, now = Date.now()): number | null {
    const lone = this.settings.servers.length === 1;
    const chosen = this.#choose(this.#primary, tried, now, lone) ??
      this.#choose(this.#backup, tried, now, false);
    if (chosen !== null) return chosen;
    for (const state of [...this.#primary, ...this.#backup]) state.fails = 0;
    return null;
  }

  /** A failure of server `index` (error, timeout, invalid header, or a listed http_5xx). */
  failed(index: number, now = Date.now()): void {
    const state = this.#state(index);
    if (state === undefined) return;
    // Failures older than fail_timeout no longer count.
    if (now - state.failedAt > state.server.failTimeout) state.fails = 0;
    state.fails++;
    state.failedAt = now;
  }

  /** Server `index` answered: its failures are forgotten once fail_timeout has passed. */
  succeeded(index: number, now = Date.now()): void {
    const state = this.#state(index);
    if (state !== undefined && now - state.failedAt > state.server.failTimeout) state.fails = 0;
  }

  #state(index: number): PeerState | undefined {
    return this.#primary.find((s) => s.index === index) ??
      this.#backup.find((s) => s.index === index);
  }

  #choose(
    group: PeerState[],
    tried: ReadonlySet<number>,
    now: number,
    lone: boolean,
  ): number | null {
    let best: PeerState | null = null;
    let total = 0;
    for (const state of group) {
      const { server } = state;
      if (server.down || tried.has(state.index)) continue;
      const skipped = !lone && server.maxFails > 0 && state.fails >= server.maxFails &&
        now - state.failedAt <= server.failTimeout;
      if (skipped) continue;
      state.current += server.weight;
      total += server.weight;
      if (best === null || state.current > best.current) best = state;
    }
    if (best === null) return null;
    best.current -= total;
    return best.index;
  }
}
