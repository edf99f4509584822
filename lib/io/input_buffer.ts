/**
 * A connection's input: bytes received and not consumed yet are `buf[start, end)`. Reads append at
 * `end`, parsers and body readers consume from `start`; `compact()` makes room before a read.
 */

/** Reads into the given bytes; the number read, or null at the end of the stream. */
export type Read = (into: Uint8Array) => Promise<number | null>;

export class InputBuffer {
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  /** A read into buf[end..] already under way (shared, so that bytes are counted once). */
  #inflight: Promise<number | null> | null = null;

  constructor(private readonly read: Read, initialSize: number, private readonly maxSize: number) {
    this.#buf = new Uint8Array(initialSize);
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
      const bigger = new Uint8Array(Math.min(this.#buf.length * 2, this.maxSize));
      bigger.set(this.#buf.subarray(0, this.#end));
      this.#buf = bigger;
    }
  }

  /** Swaps in a buffer of at least `size` bytes while nothing is pending (body reads). */
  ensureSize(size: number): void {
    if (this.#inflight !== null || this.pending > 0 || this.#buf.length >= size) return;
    this.#buf = new Uint8Array(Math.min(size, this.maxSize));
    this.#start = this.#end = 0;
  }

  /**
   * One read into buf[end..], shared by whoever waits for it: the number of bytes added, or null at
   * the end of the stream. Call compact() first when the buffer may be full.
   */
  fill(): Promise<number | null> {
    this.#inflight ??= this.read(this.#buf.subarray(this.#end)).then((n) => {
      this.#inflight = null;
      if (n !== null) this.#end += n;
      return n;
    }, (e) => {
      this.#inflight = null;
      throw e;
    });
    return this.#inflight;
  }

  /** Resolves once no read is under way (its outcome ignored). */
  async settled(): Promise<void> {
    await this.#inflight?.catch(() => {});
  }
}
