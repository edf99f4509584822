/**
 * A resumable decoder for the chunked transfer coding (RFC 9112 §7.1), in the style of
 * picohttpparser's `phr_decode_chunked`: feed it any slice of the body as it arrives; it keeps
 * its place between calls and hands back the data as subarrays of the input, without copying.
 *
 * Strict where framing is at stake: a chunk size is 1*HEXDIG with no whitespace around it except
 * SP/HTAB right before ";"; extensions are skipped (no controls but HTAB); lines may end in CRLF or
 * a bare LF; trailer fields are skipped.
 */

import { HttpError } from "./errors.ts";

/** Limits on the parts of a chunked body that are not data. */
export interface ChunkedLimits {
  /** The longest chunk-size line, extensions included, line ending excluded (default 4096). */
  maxLineLength?: number;
  /** The most bytes of trailer section, line endings included (default 8192). */
  maxTrailerBytes?: number;
}

/** What one call to {@linkcode ChunkedDecoder.decode} found. */
export interface ChunkedResult {
  /** Input bytes used; all of them unless the body ended inside the slice. */
  consumed: number;
  /** The data found, in order, as subarrays of the input (valid as long as the input is). */
  data: Uint8Array[];
  /** True once the last chunk and the trailer section have been consumed. */
  done: boolean;
}

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const SEMICOLON = 0x3b;

/** The value of a hex digit, or -1. */
const HEX = new Int8Array(256).fill(-1);
/** 1 for the bytes allowed inside a chunk extension or a trailer line: HTAB, SP, visible, obs-text. */
const TEXT = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (b >= 0x30 && b <= 0x39) HEX[b] = b - 0x30;
  else if (b >= 0x41 && b <= 0x46) HEX[b] = b - 0x41 + 10;
  else if (b >= 0x61 && b <= 0x66) HEX[b] = b - 0x61 + 10;
  TEXT[b] = (b >= 0x20 && b !== 0x7f) || b === HT ? 1 : 0;
}

/** Where the decoder is. */
const enum State {
  /** Before the first digit of a chunk size. */
  SizeStart,
  /** Among the digits of a chunk size. */
  Size,
  /** In whitespace after the size: only more of it or ";" may follow. */
  SizeBws,
  /** In the extensions of a chunk-size line. */
  Extension,
  /** After the CR ending a chunk-size line. */
  SizeLf,
  /** Inside chunk data. */
  Data,
  /** After chunk data: CRLF or LF must follow. */
  DataCr,
  /** After the CR following chunk data. */
  DataLf,
  /** At the start of a trailer line or of the final empty line. */
  TrailerStart,
  /** Inside a trailer field line. */
  Trailer,
  /** After a CR inside a trailer field line. */
  TrailerLf,
  /** After the CR of the final empty line. */
  EndLf,
  /** The body has ended. */
  Done,
}

/**
 * Decodes a chunked request body fed in slices of any size.
 *
 * @example
 * ```ts
 * const decoder = new ChunkedDecoder();
 * const { consumed, data, done } = decoder.decode(buf, start, end);
 * ```
 */
export class ChunkedDecoder {
  #state = State.SizeStart;
  /** The chunk size being read, then the data bytes left in the chunk. */
  #size = 0;
  #lineLength = 0;
  #trailerBytes = 0;
  readonly #maxLineLength: number;
  readonly #maxTrailerBytes: number;

  /** Creates a decoder at the start of a chunked body. */
  constructor(limits: ChunkedLimits = {}) {
    this.#maxLineLength = limits.maxLineLength ?? 4096;
    this.#maxTrailerBytes = limits.maxTrailerBytes ?? 8192;
  }

  /** True once the last chunk and the trailer section have been consumed. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Decodes from input[start, end). Bytes after the end of the body are not consumed (they
   * belong to the next pipelined request). Throws HttpError(400) on invalid syntax.
   */
  decode(input: Uint8Array, start: number, end: number): ChunkedResult {
    const data: Uint8Array[] = [];
    let state = this.#state;
    let p = start;
    while (p < end && state !== State.Done) {
      // Data is handed out in one piece per call, not looked at.
      if (state === State.Data) {
        const take = Math.min(this.#size, end - p);
        data.push(input.subarray(p, p + take));
        p += take;
        this.#size -= take;
        if (this.#size === 0) state = State.DataCr;
        continue;
      }
      const b = input[p++]!;
      const before = state;
      switch (state) {
        case State.SizeStart:
        case State.Size: {
          const digit = HEX[b]!;
          if (digit >= 0) {
            this.#size = this.#size * 16 + digit;
            if (this.#size > Number.MAX_SAFE_INTEGER) {
              throw new HttpError(400, "Chunk size too large");
            }
            state = State.Size;
          } else if (state === State.SizeStart) {
            throw new HttpError(400, "Invalid chunk size");
          } else if (b === CR) state = State.SizeLf;
          else if (b === LF) state = this.#endSizeLine();
          else if (b === SEMICOLON) state = State.Extension;
          else if (b === SP || b === HT) state = State.SizeBws;
          else throw new HttpError(400, "Invalid chunk size");
          break;
        }
        case State.SizeBws:
          if (b === SEMICOLON) state = State.Extension;
          else if (b !== SP && b !== HT) throw new HttpError(400, "Invalid chunk size line");
          break;
        case State.Extension:
          if (b === CR) state = State.SizeLf;
          else if (b === LF) state = this.#endSizeLine();
          else if (TEXT[b] !== 1) throw new HttpError(400, "Invalid chunk extension");
          break;
        case State.SizeLf:
          if (b !== LF) throw new HttpError(400, "Bare CR in chunk size line");
          state = this.#endSizeLine();
          break;
        case State.DataCr:
          if (b === CR) state = State.DataLf;
          else if (b === LF) state = State.SizeStart;
          else throw new HttpError(400, "Missing CRLF after chunk data");
          break;
        case State.DataLf:
          if (b !== LF) throw new HttpError(400, "Missing CRLF after chunk data");
          state = State.SizeStart;
          break;
        case State.TrailerStart:
          if (b === CR) state = State.EndLf;
          else if (b === LF) state = State.Done;
          else if (TEXT[b] === 1) state = State.Trailer;
          else throw new HttpError(400, "Invalid trailer field");
          break;
        case State.Trailer:
          if (b === CR) state = State.TrailerLf;
          else if (b === LF) state = State.TrailerStart;
          else if (TEXT[b] !== 1) throw new HttpError(400, "Invalid trailer field");
          break;
        case State.TrailerLf:
          if (b !== LF) throw new HttpError(400, "Bare CR in trailer field");
          state = State.TrailerStart;
          break;
        case State.EndLf:
          if (b !== LF) throw new HttpError(400, "Bare CR in trailer section");
          state = State.Done;
          break;
      }
      // Count the bytes of size lines and of the trailer section against their limits.
      if (before <= State.Extension) {
        if (b !== CR && b !== LF && ++this.#lineLength > this.#maxLineLength) {
          throw new HttpError(400, "Chunk size line too long");
        }
      } else if (before >= State.TrailerStart) {
        if (++this.#trailerBytes > this.#maxTrailerBytes) {
          throw new HttpError(400, "Trailer section too large");
        }
      }
    }
    this.#state = state;
    return { consumed: p - start, data, done: state === State.Done };
  }

  /** Ends a chunk-size line: data follows, or the trailer section after the last chunk. */
  #endSizeLine(): State {
    this.#lineLength = 0;
    return this.#size === 0 ? State.TrailerStart : State.Data;
  }
}
