/** Runs a store's sweep periodically, one at a time, until stopped. */

/** A periodic task that never overlaps itself and can be stopped and awaited. */
export class Sweeper {
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<unknown> | null = null;

  /** Starts calling `sweep` every `intervalMs` (0: never). Failures go to `log`. */
  constructor(
    sweep: () => Promise<unknown>,
    intervalMs: number,
    log: (line: string) => void = console.error,
  ) {
    if (intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#running !== null) return;
      this.#running = sweep()
        .catch((e) => log(`webserv: session sweep failed: ${e}`))
        .finally(() => this.#running = null);
    }, intervalMs);
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
