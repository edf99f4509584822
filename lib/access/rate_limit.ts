/**
 * The state machines behind nginx's `limit_req` (a leaky bucket per key, ngx_http_limit_req_module)
 * and `limit_conn` (requests in progress per key, ngx_http_limit_conn_module). Pure: no HTTP, no
 * configuration, no timers; the caller evaluates the key, turns a rejection into the status of
 * `limit_req_status` / `limit_conn_status` (503 by default) and waits out a delay.
 *
 * Units are nginx's, in integers: a rate is requests per 1000 s (1 r/s = 1000), an excess is in
 * thousandths of a request, times are milliseconds, and every division truncates as C's does.
 */

/** Bytes one limit_req state takes in nginx on a 64-bit platform (64 on 32-bit). */
export const REQUEST_STATE_BYTES = 128;

/** Bytes one limit_conn state takes in nginx on a 64-bit platform (32 or 64 on 32-bit). */
export const CONNECTION_STATE_BYTES = 64;

/** nginx's smallest zone, 8 pages of 4 KiB: a smaller `zone=name:size` is "too small". */
export const MIN_ZONE_BYTES = 8 * 4096;

/** A limit_req state untouched this long (ms) may be removed once its excess has drained. */
const STALE_MS = 60_000;

/**
 * How many states a zone of `bytes` holds (`zone=one:10m`), by nginx's documented figures for a
 * 64-bit platform: one megabyte keeps about 8 thousand 128-byte limit_req states (16 thousand
 * 64-byte ones on 32-bit) and about 16 thousand 64-byte limit_conn states (32 thousand 32-byte
 * ones on 32-bit). nginx's slab allocator keeps a little for itself, so this is an upper bound.
 */
export function zoneCapacity(bytes: number, kind: "limit_req" | "limit_conn"): number {
  const state = kind === "limit_req" ? REQUEST_STATE_BYTES : CONNECTION_STATE_BYTES;
  return Math.max(0, Math.floor(bytes / state));
}

/**
 * Parses the value of `rate=` as nginx does: digits then `r/s` or `r/m` (`"10r/s"`, `"30r/m"`;
 * nginx also takes bare digits as r/s). Returns requests per 1000 s, truncated like nginx's
 * `rate * 1000 / scale` ("10r/s" → 10000, "30r/m" → 500, "1r/m" → 16), or null when the text is
 * not a positive rate.
 */
export function parseRate(text: string): number | null {
  const match = /^(\d+)(r\/[sm])?$/.exec(text);
  if (match === null) return null;
  const perSecond = Number(match[1]) * 1000;
  if (perSecond === 0 || !Number.isSafeInteger(perSecond)) return null;
  return match[2] === "r/m" ? Math.floor(perSecond / 60) : perSecond;
}

/** One `limit_req` line applied to a request: its zone, the evaluated key, burst and delay. */
export interface RequestLimit {
  zone: RequestZone;
  /** The zone's key for this request; an empty key is not accounted (nginx skips it). */
  key: string;
  /** `burst=`: excess requests allowed beyond the rate (default 0). */
  burst: number;
  /** `delay=`: excess requests served without delay (default 0), or `nodelay` (the whole burst). */
  delay: number | "nodelay";
}

/**
 * What a request is told. Accepted: served after `delayMs` (0: at once). Rejected: `busy` when the
 * burst is exceeded (nginx logs "limiting requests"), `nomem` when the zone has no room for a new
 * key (nginx logs "could not allocate node"). `excess` (thousandths of a request) and `zone` are
 * those of the limit that decided, for the log line: "excess: 1.000 by zone "one"".
 */
export type RequestOutcome =
  | { kind: "accept"; delayMs: number; excess: number; zone: string }
  | { kind: "reject"; reason: "busy" | "nomem"; excess: number; zone: string };

/** A key's bucket: its excess and the time of its last accounted request. */
interface RequestState {
  /** Thousandths of a request above the rate. */
  excess: number;
  /** ms; -Infinity for a state created but never accounted (nginx stores 0: long ago). */
  last: number;
}

/** A lookup's answer, as ngx_http_limit_req_lookup's return codes. */
type Lookup =
  | { rc: "accounted"; excess: number }
  | { rc: "pending"; state: RequestState }
  | { rc: "busy"; excess: number }
  | { rc: "nomem" };

/**
 * A `limit_req_zone`: the leaky buckets of up to `maxKeys` keys, draining at `rate` requests per
 * 1000 s, kept in least-recently-used order (the Map's insertion order: O(1) per request).
 */
export class RequestZone {
  readonly name: string;
  /** Requests per 1000 s, as parseRate() returns. */
  readonly rate: number;
  /** The most states the zone holds (zoneCapacity() of its size). */
  readonly maxKeys: number;
  readonly #now: () => number;
  /** Oldest first: a lookup moves its key to the end. */
  readonly #states = new Map<string, RequestState>();

  /** `now` returns milliseconds; tests pass a fake clock. */
  constructor(name: string, rate: number, maxKeys: number, now: () => number = () => Date.now()) {
    if (!Number.isSafeInteger(rate) || rate <= 0) throw new RangeError(`Invalid rate "${rate}"`);
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 0) {
      throw new RangeError(`Invalid zone capacity "${maxKeys}"`);
    }
    this.name = name;
    this.rate = rate;
    this.maxKeys = maxKeys;
    this.#now = now;
  }

  /** How many keys the zone holds now. */
  get size(): number {
    return this.#states.size;
  }

  /** Whether the zone holds a state for `key` (it may have drained). */
  has(key: string): boolean {
    return this.#states.has(key);
  }

  /**
   * Accounts one request for `key` against this zone alone; see RequestZone.takeAll(). An empty
   * key is not accounted and is accepted at once.
   */
  take(key: string, burst: number, delay: number | "nodelay"): RequestOutcome {
    return RequestZone.takeAll([{ zone: this, key, burst, delay }]) ??
      { kind: "accept", delayMs: 0, excess: 0, zone: this.name };
  }

  /**
   * Accounts one request against every `limit_req` that applies to it, in order, as nginx's
   * handler does: each key's excess is `excess - rate * ms / 1000 + 1000` (ms since its last
   * request, never negative), clamped at 0; above `burst * 1000` the request is rejected and the
   * limits after it are not looked at; a rejected request changes no bucket (though it refreshes
   * its key's place in the LRU order, and a key new to an earlier zone keeps its empty state).
   * When all accept, every bucket is updated and the request is delayed by the longest of
   * `(excess - delay * 1000) * 1000 / rate` ms over the limits whose excess is above their delay.
   * Returns null when every key is empty (nothing limited: $limit_req_status stays unset). Each
   * zone may appear once (nginx: "is duplicate").
   */
  static takeAll(limits: readonly RequestLimit[]): RequestOutcome | null {
    const applied = limits.filter((limit) => limit.key !== "").map((limit) => ({
      zone: limit.zone,
      key: limit.key,
      burst: thousandths(limit.burst),
      delay: thousandths(limit.delay),
    }));
    if (applied.length > 1 && new Set(applied.map((limit) => limit.zone)).size < applied.length) {
      throw new Error("A limit_req zone applies twice to one request");
    }
    const pending: Array<{ limit: Applied; state: RequestState }> = [];
    for (const [i, limit] of applied.entries()) {
      const { zone, key, burst } = limit;
      const answer = zone.#lookup(key, burst, i === applied.length - 1);
      switch (answer.rc) {
        case "pending":
          pending.push({ limit, state: answer.state });
          continue;
        case "busy":
          return { kind: "reject", reason: "busy", excess: answer.excess, zone: zone.name };
        case "nomem":
          return { kind: "reject", reason: "nomem", excess: 0, zone: zone.name };
        case "accounted": {
          // The last limit was accounted by its lookup, the earlier ones are now, latest first;
          // on a tie the later limit stays the one reported.
          let outcome = accepted(limit, answer.excess);
          for (let j = pending.length - 1; j >= 0; j--) {
            const { limit: earlier, state } = pending[j]!;
            const candidate = accepted(earlier, earlier.zone.#account(state));
            if (candidate.delayMs > outcome.delayMs) outcome = candidate;
          }
          return outcome;
        }
      }
    }
    return null;
  }

  /**
   * ngx_http_limit_req_lookup: finds or creates the key's state and checks it against the burst
   * (thousandths). With `account` it also records the request; otherwise the state is returned
   * for #account() once every limit has accepted. A new key starts with no excess.
   */
  #lookup(key: string, burst: number, account: boolean): Lookup {
    const now = Math.floor(this.#now());
    const found = this.#states.get(key);
    if (found !== undefined) {
      this.#states.delete(key);
      this.#states.set(key, found);
      const ms = elapsed(now, found.last);
      const excess = Math.max(0, this.#drained(found, ms) + 1000);
      if (excess > burst) return { rc: "busy", excess };
      if (!account) return { rc: "pending", state: found };
      this.#record(found, excess, ms, now);
      return { rc: "accounted", excess };
    }
    // A new key: first drop up to two drained states, then, if the zone is still full, the least
    // recently used state whatever its excess (ngx_http_limit_req_expire with n = 1, then 0).
    this.#expire(now, false);
    if (this.#states.size >= this.maxKeys) this.#expire(now, true);
    if (this.#states.size >= this.maxKeys) return { rc: "nomem" };
    const state: RequestState = { excess: 0, last: account ? now : -Infinity };
    this.#states.set(key, state);
    return account ? { rc: "accounted", excess: 0 } : { rc: "pending", state };
  }

  /** ngx_http_limit_req_account for one earlier limit: records the request, returns its excess. */
  #account(state: RequestState): number {
    const now = Math.floor(this.#now());
    const ms = elapsed(now, state.last);
    const excess = Math.max(0, this.#drained(state, ms) + 1000);
    this.#record(state, excess, ms, now);
    return excess;
  }

  /** The state's excess less what drained in `ms` (may be negative). */
  #drained(state: RequestState, ms: number): number {
    return state.excess - Math.floor(this.rate * ms / 1000);
  }

  /** Stores the new excess; the time moves only when some ms passed (nginx: `if (ms)`). */
  #record(state: RequestState, excess: number, ms: number, now: number): void {
    state.excess = excess;
    if (ms !== 0) state.last = now;
  }

  /**
   * ngx_http_limit_req_expire: from the least recently used end, removes up to two states idle
   * for at least 60 s whose excess has drained to nothing; with `force`, first removes the oldest
   * state whatever it holds. Stops at the first state that must stay.
   */
  #expire(now: number, force: boolean): void {
    for (let n = force ? 0 : 1; n < 3; n++) {
      const oldest = this.#states.entries().next();
      if (oldest.done) return;
      const [key, state] = oldest.value;
      if (n !== 0) {
        const ms = Math.abs(now - state.last);
        if (ms < STALE_MS || this.#drained(state, ms) > 0) return;
      }
      this.#states.delete(key);
    }
  }
}

/** ms since `last`, as nginx counts it: a clock that went back up to 60 s is 0, more is 1. */
function elapsed(now: number, last: number): number {
  const ms = now - last;
  if (ms < -STALE_MS) return 1;
  return ms < 0 ? 0 : ms;
}

/** A limit with its burst and delay in thousandths of a request, checked once. */
interface Applied {
  zone: RequestZone;
  key: string;
  burst: number;
  delay: number;
}

/** A count of requests (`burst=`, `delay=`) in thousandths, nodelay being the whole of any burst. */
function thousandths(requests: number | "nodelay"): number {
  if (requests === "nodelay") return Infinity;
  if (!Number.isSafeInteger(requests) || requests < 0) {
    throw new RangeError(`Invalid number of requests "${requests}"`);
  }
  return requests * 1000;
}

/** The accepted outcome of one limit: delayed for the excess above its `delay` threshold. */
function accepted(limit: Applied, excess: number): Extract<RequestOutcome, { kind: "accept" }> {
  const delayMs = excess > limit.delay
    ? Math.floor((excess - limit.delay) * 1000 / limit.zone.rate)
    : 0;
  return { kind: "accept", delayMs, excess, zone: limit.zone.name };
}

/** One `limit_conn` line applied to a request: its zone, the evaluated key and the maximum. */
export interface ConnectionLimit {
  zone: ConnectionZone;
  /** The zone's key for this request; an empty key is not counted (nginx skips it). */
  key: string;
  /** The most requests in progress for one key (1 to 65535 in nginx). */
  max: number;
}

/**
 * Whether a request may proceed under its `limit_conn` lines. Accepted: call `release` (any
 * number of times) when the request is done. Rejected: `busy` when a key is at its maximum (nginx
 * logs "limiting connections by zone"), `nomem` when a zone has no room for a new key.
 */
export type ConnectionOutcome =
  | { kind: "accept"; release: () => void }
  | { kind: "reject"; reason: "busy" | "nomem"; zone: string };

/**
 * A `limit_conn_zone`: how many requests are in progress for each of up to `maxKeys` keys. A key
 * is kept only while its count is above zero, so nothing here expires.
 */
export class ConnectionZone {
  readonly name: string;
  /** The most keys the zone holds at once (zoneCapacity() of its size). */
  readonly maxKeys: number;
  readonly #counts = new Map<string, number>();

  constructor(name: string, maxKeys: number) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 0) {
      throw new RangeError(`Invalid zone capacity "${maxKeys}"`);
    }
    this.name = name;
    this.maxKeys = maxKeys;
  }

  /** How many keys have requests in progress. */
  get size(): number {
    return this.#counts.size;
  }

  /** The requests in progress for `key`. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /**
   * Counts one more request for `key` if it has fewer than `max` in progress and the zone has room
   * for it. Returns the function that counts it out again (idempotent; a key at zero is removed),
   * or null when the request is to be rejected.
   */
  acquire(key: string, max: number): (() => void) | null {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`Invalid number of connections "${max}"`);
    }
    const current = this.#counts.get(key);
    if (current === undefined ? this.#counts.size >= this.maxKeys : current >= max) return null;
    this.#counts.set(key, (current ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left > 0) this.#counts.set(key, left);
      else this.#counts.delete(key);
    };
  }

  /**
   * Counts a request under every `limit_conn` that applies to it, in order, as nginx's handler
   * does: the first limit that refuses rejects it and releases what the earlier ones counted.
   * Returns null when every key is empty (nothing counted: $limit_conn_status stays unset).
   */
  static acquireAll(limits: readonly ConnectionLimit[]): ConnectionOutcome | null {
    const releases: Array<() => void> = [];
    const releaseAll = () => releases.forEach((release) => release());
    for (const { zone, key, max } of limits) {
      if (key === "") continue;
      const release = zone.acquire(key, max);
      if (release === null) {
        releaseAll();
        return { kind: "reject", reason: zone.count(key) > 0 ? "busy" : "nomem", zone: zone.name };
      }
      releases.push(release);
    }
    return releases.length === 0 ? null : { kind: "accept", release: releaseAll };
  }
}
