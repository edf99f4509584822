/** One request at a time per session id, within this process (as PHP locks its session files). */

/** Ends a hold on an id; safe to call more than once. */
export type Release = () => void;

/**
 * Holds on session ids, granted in the order asked. A waiter gives up after `maxWaitMs` and goes
 * on without the earlier holder (whose script may stream for a long time); the holds after it
 * still wait for both.
 */
export class SessionLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for earlier holds on `id` (at most `maxWaitMs`), then holds it until released. */
  async acquire(id: string, maxWaitMs: number): Promise<Release> {
    const previous = this.#tails.get(id);
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    const tail = previous === undefined ? released : previous.then(() => released);
    this.#tails.set(id, tail);
    tail.then(() => {
      if (this.#tails.get(id) === tail) this.#tails.delete(id);
    });
    if (previous !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const givenUp = new Promise<void>((resolve) => timer = setTimeout(resolve, maxWaitMs));
      await Promise.race([previous, givenUp]);
      clearTimeout(timer);
    }
    return () => release();
  }

  /** Ids held or waited for now. */
  get size(): number {
    return this.#tails.size;
  }
}
