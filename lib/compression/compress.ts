/**
 * gzip and brotli compression of a whole body ({@linkcode compressBytes}) or of a stream
 * ({@linkcode compressStream}), on `node:zlib`'s streaming compressors: the building blocks of
 * a gzip/brotli filter like nginx's ngx_http_gzip_filter_module and Google's ngx_brotli.
 *
 * Deno 2.9.6 runs zlib and brotli on the calling thread, even through the callback API: its
 * `write()` binding compresses at once and only defers the callback (measured: all the CPU
 * time on the main thread; no timer fires during a one-shot `zlib.gzip()`). Compressing
 * therefore holds the event loop for as long as the work takes, as it holds an nginx worker
 * (1 MiB of CSS-like text: ~6 ms at gzip level 1, ~35 ms at 6, ~52 ms at brotli quality 6,
 * ~2.8 s at 11). So that one large body does not stall every other connection, input goes in
 * at most {@linkcode SLICE} bytes per compressor step, and the event loop gets a turn
 * (`setImmediate`) before the next step once {@linkcode TURN_MS} have passed since the last
 * turn: the longest stall for that 1 MiB falls from the whole run to ~6–13 ms. Brotli at high
 * qualities still does its work in large blocks of its own choosing (a 1.3 s stall at 11).
 */
import { setImmediate } from "node:timers";
import zlib from "node:zlib";

/** A content coding this module produces. */
export type Coding = "gzip" | "br";

export interface CompressStreamOptions {
  /**
   * Flush the compressor (Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH) when the source has produced
   * nothing for this many milliseconds since the last piece, so that a slow source's output
   * (a CGI printing as it works) reaches the client instead of waiting in the compressor.
   * A source that keeps producing (a file, a busy pipe) is never flushed, which keeps the ratio.
   * `null` never flushes before the end. Default {@linkcode FLUSH_AFTER_MS}.
   */
  flushAfterMs?: number | null;
  /**
   * The expected input length, when known: brotli's BROTLI_PARAM_SIZE_HINT, and a smaller gzip
   * window for a small body as nginx picks (a wrong hint costs ratio, never correctness);
   * 0: unknown.
   */
  sizeHint?: number;
}

/** The most input handed to the compressor in one step: ~2 ms of text at gzip level 6. */
export const SLICE = 64 * 1024;
/** The time (ms) since the event loop last got a turn after which the next step waits for one. */
export const TURN_MS = 4;
/**
 * The brotli window, in bits: 19 (512 KiB), ngx_brotli's `brotli_window` default. A brotli
 * stream's memory follows it: after 2 MiB of text at quality 6, ~8 MiB against ~12 MiB with
 * node:zlib's default of 22 bits (~11 MiB against ~36 MiB at quality 11; gzip holds under
 * 1 MiB). ngx_brotli also shrinks the window to fit a body of known length; not here: Deno's
 * brotli encoder at qualities 5 to 9 with a window of 16 bits or less is ~8 times slower
 * (10 KiB at quality 6: ~4.7 ms against ~0.55 ms) and compresses no better.
 */
export const BROTLI_WINDOW_BITS = 19;
/** The default idle time before a flush: a file's next read takes well under 1 ms. */
export const FLUSH_AFTER_MS = 10;

/**
 * `bytes` compressed with `encoding` at `level` (gzip 1–9, brotli quality 0–11): the stream
 * below with one piece and its length as the size hint (as fast as node:zlib's one-shot
 * `gzip()`, and it gives the event loop its turns). The caller may reuse `bytes` once the
 * promise settles.
 */
export async function compressBytes(
  bytes: Uint8Array,
  encoding: Coding,
  level: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const options = { flushAfterMs: null, sizeHint: bytes.length };
  for await (const part of compressStream([bytes], encoding, level, options)) {
    parts.push(part);
    length += part.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function gzipOptions(level: number, sizeHint: number): zlib.ZlibOptions {
  // nginx's ngx_http_gzip_filter_memory: a body of known length that is well under the 32 KiB
  // window gets a smaller window and hash table (256 KiB of deflate state at most).
  let windowBits = 15;
  let memLevel = 8;
  while (sizeHint > 0 && sizeHint < 2 ** (windowBits - 1) - 262) {
    windowBits--;
    memLevel--;
  }
  return { level, windowBits, memLevel: Math.max(memLevel, 1) };
}

function brotliParams(quality: number, sizeHint: number): Record<number, number> {
  const c = zlib.constants;
  const params: Record<number, number> = {
    [c.BROTLI_PARAM_MODE]: c.BROTLI_MODE_TEXT,
    [c.BROTLI_PARAM_QUALITY]: quality,
    [c.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
  };
  if (sizeHint > 0) params[c.BROTLI_PARAM_SIZE_HINT] = Math.min(sizeHint, 2 ** 32 - 1);
  return params;
}

/**
 * The pieces of `source` compressed with `encoding` at `level`, yielded as the compressor
 * produces them. The next piece is pulled only once the compressor has consumed the previous
 * one, so memory stays at about one piece plus one slice's output whatever the body's size,
 * and a piece is never kept past the next pull (the source may reuse its buffer). Stopping
 * early (`return()` or `throw()` on the generator) destroys the compressor and returns the
 * source; an error from the source is rethrown after the compressor is destroyed. The chunks
 * yielded are never reused: the consumer may keep them.
 *
 * As with any async generator, a `return()` that arrives while this one is waiting for the
 * source (rather than suspended in a `yield`) takes effect when the source next moves: the
 * owner of a source that can stall (a CGI) must end it on disconnect, as the CGI runner does.
 */
export async function* compressStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  encoding: Coding,
  level: number,
  options: CompressStreamOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const flushAfterMs = options.flushAfterMs === undefined ? FLUSH_AFTER_MS : options.flushAfterMs;
  const compressor = new Compressor(encoding, level, options.sizeHint ?? 0);
  const pieces = iterate(source);
  // The source's next() while it is outstanding; whether the source is done; whether this
  // generator is leaving by an exception (its own, the source's or one thrown in by throw()).
  let pending: Promise<IteratorResult<Uint8Array>> | null = null;
  let finished = false;
  let failed = false;
  try {
    for (;;) {
      pending = pull(pieces);
      if (flushAfterMs !== null && compressor.dirty && await idle(pending, flushAfterMs)) {
        await compressor.flush();
        for (const chunk of compressor.take()) yield chunk;
      }
      let piece: IteratorResult<Uint8Array>;
      try {
        piece = await pending;
      } catch (error) {
        finished = true;
        throw error;
      } finally {
        pending = null;
      }
      if (piece.done) {
        finished = true;
        break;
      }
      const bytes = piece.value;
      for (let start = 0; start < bytes.length; start += SLICE) {
        await compressor.write(bytes.subarray(start, start + SLICE));
        for (const chunk of compressor.take()) yield chunk;
      }
    }
    await compressor.end();
    for (const chunk of compressor.take()) yield chunk;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    compressor.destroy();
    if (!finished) await abandon(pieces, pending, failed);
  }
}

/**
 * Returns a source left before its end, as for-await does: waiting for its return(), whose
 * error counts unless another is already on its way. A pull still outstanding (a slow CGI)
 * may never settle, so then return() is only asked for, not waited for.
 */
async function abandon(
  pieces: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
  pending: Promise<unknown> | null,
  failed: boolean,
): Promise<void> {
  const returned = (async () => await pieces.return?.())();
  if (pending !== null) {
    pending.catch(() => {});
    returned.catch(() => {});
  } else if (failed) {
    await returned.catch(() => {});
  } else {
    await returned;
  }
}

/** The next piece of `pieces`, as a promise even when the iterator is synchronous or throws. */
async function pull(
  pieces: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
): Promise<IteratorResult<Uint8Array>> {
  return await pieces.next();
}

function iterate(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  return Symbol.asyncIterator in source
    ? source[Symbol.asyncIterator]()
    : source[Symbol.iterator]();
}

/** Whether `pending` is still unsettled after `ms` milliseconds. */
function idle(pending: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(false);
    };
    pending.then(settled, settled);
  });
}

/** Checks `level` against the range of `encoding`. */
export function checkLevel(encoding: Coding, level: number): void {
  const [min, max] = encoding === "gzip" ? [1, 9] : [0, 11];
  if (!Number.isInteger(level) || level < min || level > max) {
    const what = encoding === "gzip" ? "gzip level" : "brotli quality";
    throw new RangeError(`Invalid ${what} "${level}": expected ${min} to ${max}`);
  }
}

type Transform = zlib.Gzip | zlib.BrotliCompress;

/** One node:zlib compressor driven one step at a time, its output kept until taken. */
class Compressor {
  readonly #stream: Transform;
  readonly #flushKind: number;
  #output: Uint8Array[] = [];
  /** How to fail the step being waited for, and the error that ended the stream. */
  #failStep: ((error: unknown) => void) | null = null;
  #error: unknown = null;
  /** When the event loop last got a turn from here. */
  #clock = performance.now();
  /** Whether input was written since the last flush. */
  dirty = false;

  constructor(encoding: Coding, level: number, sizeHint: number) {
    checkLevel(encoding, level);
    const c = zlib.constants;
    if (encoding === "gzip") {
      this.#stream = zlib.createGzip(gzipOptions(level, sizeHint));
      this.#flushKind = c.Z_SYNC_FLUSH;
    } else {
      this.#stream = zlib.createBrotliCompress({ params: brotliParams(level, sizeHint) });
      this.#flushKind = c.BROTLI_OPERATION_FLUSH;
    }
    this.#stream.on("data", (chunk: Uint8Array) => {
      this.#output.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    this.#stream.on("error", (error: unknown) => {
      this.#error ??= error;
      this.#failStep?.(error);
    });
  }

  /** Compresses `bytes`, which are consumed when this settles. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    await this.#step((done) => this.#stream.write(bytes, done));
    this.dirty = true;
  }

  /** Makes all the input so far decodable from the output so far. */
  async flush(): Promise<void> {
    await this.#step((done) => this.#stream.flush(this.#flushKind, () => done()));
    this.dirty = false;
  }

  /** Finishes the stream: the output then holds everything. */
  async end(): Promise<void> {
    await this.#step((done) => {
      this.#stream.once("end", () => done());
      this.#stream.end();
    });
  }

  /** The output produced since the last call. */
  take(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    return output;
  }

  destroy(): void {
    this.#failStep = null;
    this.#stream.destroy();
  }

  /** Starts one step and waits for it (or for the stream's error), then maybe gives a turn. */
  async #step(start: (done: (error?: Error | null) => void) => void): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      if (this.#error !== null) return reject(this.#error);
      this.#failStep = reject;
      start((error) => error ? reject(error) : resolve());
    });
    this.#failStep = null;
    if (performance.now() - this.#clock >= TURN_MS) {
      // Let the event loop run timers and I/O before the next step.
      await new Promise((resolve) => setImmediate(resolve));
      this.#clock = performance.now();
    }
  }
}
