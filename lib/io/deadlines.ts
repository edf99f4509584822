/**
 * One timer for every connection's timeout: each connection sets a deadline before it waits, and
 * a sweep every 100 ms expires those that passed it. Cheaper than a timer per read at high rates.
 */

/** Something that waits with a deadline. */
export interface Expirable {
  /** Milliseconds since the epoch, or Infinity when not waiting. */
  deadline: number;
  /** Called once the deadline has passed; it must end the wait (write an answer, close). */
  expire(): void;
}

const SWEEP_MS = 100;
const watched = new Set<Expirable>();
let timer: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  const now = Date.now();
  for (const item of watched) {
    if (item.deadline <= now) {
      item.deadline = Infinity;
      item.expire();
    }
  }
}

/** Starts watching an item's deadline. */
export function watch(item: Expirable): void {
  watched.add(item);
  if (timer === undefined) timer = setInterval(sweep, SWEEP_MS);
}

/** Stops watching an item; the sweep stops when nothing is watched. */
export function unwatch(item: Expirable): void {
  watched.delete(item);
  if (watched.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}
