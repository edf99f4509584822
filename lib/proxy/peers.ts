/**
 * Which server of an upstream a request goes to, as nginx's round robin chooses
 * (ngx_http_upstream_round_robin.c): smooth weighted round robin among the primary servers that
 * can be used, each weighing its effective weight (cut on a failure, won back by one per pick);
 * a server that failed `max_fails` times within `fail_timeout` is skipped until `fail_timeout`
 * has passed since its last failure, then one request probes it (others skip it again until that
 * one is answered); an answer after the probe forgets its failures. The backup servers serve only
 * when no primary one can. A lone server is never skipped (nginx ignores max_fails for it).
 */
import type { UpstreamServer, UpstreamSettings } from "../config/types.ts";

interface PeerState {
  server: UpstreamServer;
  index: number;
  current: number;
  effective: number;
  fails: number;
  /** When the last failure was counted (ms since the epoch). */
  accessed: number;
  /** When the last failure was counted, or the server was last probed after fail_timeout. */
  checked: number;
}

export class Peers {
  readonly #primary: PeerState[];
  readonly #backup: PeerState[];
  readonly #all: PeerState[];

  constructor(readonly settings: UpstreamSettings) {
    this.#all = settings.servers.map((server, index) => ({
      server,
      index,
      current: 0,
      effective: server.weight,
      fails: 0,
      accessed: 0,
      checked: 0,
    }));
    this.#primary = this.#all.filter((s) => !s.server.backup);
    this.#backup = this.#all.filter((s) => s.server.backup);
  }

  /** The next server to try, skipping those in `tried`; null when none can be used. */
  pick(tried: ReadonlySet<number>, now = Date.now()): number | null {
    if (this.#all.length === 1) {
      const only = this.#all[0]!;
      return only.server.down || tried.has(0) ? null : 0;
    }
    return this.#choose(this.#primary, tried, now) ?? this.#choose(this.#backup, tried, now);
  }

  /** How many servers a request may try at most: those not marked `down`. */
  get usable(): number {
    return this.#all.filter((s) => !s.server.down).length;
  }

  /**
   * A failure of server `index` (error, timeout, invalid header, or a listed http_5xx). Returns
   * true when it takes the server out for fail_timeout (nginx then warns).
   */
  failed(index: number, now = Date.now()): boolean {
    const state = this.#all[index];
    if (state === undefined) return false;
    state.fails++;
    state.accessed = now;
    state.checked = now;
    const { maxFails, weight } = state.server;
    if (maxFails === 0) return false;
    state.effective = Math.max(0, state.effective - Math.floor(weight / maxFails));
    return state.fails >= maxFails && this.#all.length > 1;
  }

  /** Server `index` answered: after a probe, its failures are forgotten. */
  succeeded(index: number): void {
    const state = this.#all[index];
    if (state !== undefined && state.accessed < state.checked) state.fails = 0;
  }

  #choose(group: PeerState[], tried: ReadonlySet<number>, now: number): number | null {
    let best: PeerState | null = null;
    let total = 0;
    for (const state of group) {
      const { server } = state;
      if (server.down || tried.has(state.index)) continue;
      const out = server.maxFails > 0 && state.fails >= server.maxFails &&
        now - state.checked <= server.failTimeout;
      if (out) continue;
      state.current += state.effective;
      total += state.effective;
      if (state.effective < server.weight) state.effective++;
      if (best === null || state.current > best.current) best = state;
    }
    if (best === null) return null;
    best.current -= total;
    // A server past its fail_timeout is probed by this request alone.
    if (now - best.checked > best.server.failTimeout) best.checked = now;
    return best.index;
  }
}
