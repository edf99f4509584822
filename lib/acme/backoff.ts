/**
 * Waiting politely for an ACME object to change state (RFC 8555 §7.5.1, §7.4): honour the
 * server's Retry-After, else back off exponentially, always within bounds.
 *
 * - `parseRetryAfter(value, now = Date.now())`: a Retry-After field (delay-seconds or an
 *   HTTP-date, RFC 9110 §10.2.3) in milliseconds from `now`, never negative; undefined when the
 *   field is absent or unreadable.
 * - `pollDelay(attempt, retryAfterMs, bounds)`: the wait before poll number `attempt` (0-based):
 *   Retry-After when given, else `initialMs · 2^attempt`; either way clamped to
 *   [`minMs`, `maxMs`].
 * - `sleep(ms, signal?)`: resolves after `ms`, rejects with the signal's reason if it aborts
 *   first (the timer is cleared either way).
 */

/** The bounds of `pollDelay`. */
export interface PollBounds {
  initialMs: number;
  minMs: number;
  maxMs: number;
}

/** Retry-After in milliseconds from `now`. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate and the obsolete forms Date.parse reads; a bare number was handled above.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The delay before poll `attempt`. */
export function pollDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  bounds: PollBounds,
): number {
  const wanted = retryAfterMs ?? bounds.initialMs * 2 ** Math.min(attempt, 30);
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, wanted));
}

/** A promise resolved after `ms`, or rejected when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
