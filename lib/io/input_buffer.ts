/**
 * A connection's input: bytes received and not consumed yet are `buf[start, end)`. Reads append at
 * `end`, parsers and body readers consume from `start`; `compact()` makes room before a read.
 */

/** Reads into the given bytes; the number read, or null at the end of the stream. */
export type Read = (into: Uint8Array) => Promise<number | null>;

/**
 * Buffers bigger than a connection's first one, by size (powers of two), lent to connections while
 * they read a large head or a body and given back when they wait idle again: an idle keep-alive
 * connection holds only its small first buffer (as nginx frees its buffers on idle connections).
 */
const pool = new Map<number, Uint8Array[]>();
/** The most buffers kept of each size. */
const POOL_PER_SIZE = 64;

function borrow(size: number): Uint8Array {
  return pool.get(size)?.pop() ?? new Uint8Array(size);
}

function giveBack(buf: Uint8Array): void {
  let free = pool.get(buf.length);
  if (free === undefined) pool.set(buf.length, free = []);
  if (free.length < POOL_PER_SIZE) free.push(buf);
}

export class InputBuffer {
  #buf: Uint8Array;
  /** The first buffer, kept for good: the one used while idle. */
  readonly #small: Uint8Array;
  #start = 0;
  #end = 0;
  /** A read into buf[end..] already under way (shared, so that bytes are counted once). */
  #inflight: Promise<number | null> | null = null;

  constructor(private readonly read: Read, initialSize: number, private readonly maxSize: number) {
    this.#buf = this.#small = new Uint8Array(initialSize);
  }

  /** The whole buffer (valid bytes are `[start, end)`). */
  get buf(): Uint8Array {
    return this.#buf;
  }

  get start(): number {
    return this.#start;
  }

  get end(): number {
    return this.#end;
  }

  /** Bytes received and not consumed. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /** Bytes that fit after `end` without compacting. */
  get room(): number {
    return this.#buf.length - this.#end;
  }

  /** A read is under way. */
  get reading(): boolean {
    return this.#inflight !== null;
  }

  /** Marks `n` pending bytes as used. */
  consume(n: number): void {
    if (n < 0 || n > this.pending) throw new RangeError(`Cannot consume ${n} of ${this.pending}`);
    this.#start += n;
  }

  /**
   * Makes room after `end` (unless a read is under way): start over when empty, move the pending
   * bytes to the front, or grow (doubling, up to `maxSize`) when they fill the buffer.
   */
  compact(): void {
    if (this.#inflight !== null) return;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      return;
    }
    if (this.#end < this.#buf.length) return;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    } else if (this.#buf.length < this.maxSize) {
      const bigger = borrow(Math.min(this.#buf.length * 2, this.maxSize));
      bigger.set(this.#buf.subarray(0, this.#end));
      this.#swap(bigger);
    }
  }

  /** Swaps in a buffer of at least `size` bytes while nothing is pending (body reads). */
  ensureSize(size: number): void {
    if (this.#inflight !== null || this.pending > 0 || this.#buf.length >= size) return;
    this.#swap(borrow(Math.min(size, this.maxSize)));
    this.#start = this.#end = 0;
  }

  /**
   * Gives a borrowed buffer back while nothing is pending and no read is under way (before an idle
   * wait): the small first buffer takes its place.
   */
  shrink(): void {
    if (this.#inflight !== null || this.pending > 0 || this.#buf === this.#small) return;
    this.#swap(this.#small);
    this.#start = this.#end = 0;
  }

  /** Uses `next` from now on; the buffer it replaces goes back to the pool if it was borrowed. */
  #swap(next: Uint8Array): void {
    if (this.#buf !== this.#small) giveBack(this.#buf);
    this.#buf = next;
  }

  /**
   * One read into buf[end..], shared by whoever waits for it: the number of bytes added, or null at
   * the end of the stream. Call compact() first when the buffer may be full.
   */
  fill(): Promise<number | null> {
    if (this.#inflight === null) {
      // An empty buffer is read into whole, without a view made for the read.
      const into = this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end);
      this.#inflight = this.read(into).then(this.#filled, this.#failed);
    }
    return this.#inflight;
  }

  /** The outcome of fill()'s read (callbacks made once per buffer, not per read). */
  readonly #filled = (n: number | null): number | null => {
    this.#inflight = null;
    if (n !== null) this.#end += n;
    return n;
  };
  readonly #failed = (e: unknown): never => {
    this.#inflight = null;
    throw e;
  };

  /** Resolves once no read is under way (its outcome ignored). */
  async settled(): Promise<void> {
    await this.#inflight?.catch(() => {});
  }
}
