/**
 * What one configuration keeps for each upstream it proxies to: the server choice and its failure
 * counts, and the idle connections. Made when the configuration is loaded, closed with it.
 */
import type { UpstreamSettings } from "../config/types.ts";
import { KeepalivePool } from "./keepalive_pool.ts";
import { Peers } from "./peers.ts";

export interface UpstreamState {
  peers: Peers;
  pool: KeepalivePool;
}

export class Upstreams {
  readonly #states = new Map<UpstreamSettings, UpstreamState>();

  /** The state of an upstream (made on first use). */
  get(settings: UpstreamSettings): UpstreamState {
    let state = this.#states.get(settings);
    if (state === undefined) {
      state = { peers: new Peers(settings), pool: new KeepalivePool(settings) };
      this.#states.set(settings, state);
    }
    return state;
  }

  /** Closes every idle connection. */
  close(): void {
    for (const { pool } of this.#states.values()) pool.close();
  }
}
