/** An incremental multipart/form-data parser (RFC 7578, RFC 2046 §5.1) fed arbitrary slices. */
import { HttpError } from "../http/errors.ts";
import { parseContentDisposition } from "./content_disposition.ts";
import { parseParams } from "./_params.ts";

/** The largest header block a part may have. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/** What the parser found in the bytes it was fed, in order. */
export type MultipartEvent =
  | {
    type: "part";
    /** Header fields in order, names lower-cased. */
    headers: [name: string, value: string][];
    /** The form field name. */
    name: string;
    /** The file name as sent (not sanitised), or null for a plain form field. */
    filename: string | null;
    /** The part's Content-Type, or null when absent. */
    contentType: string | null;
  }
  | {
    type: "data";
    /** Body bytes of the current part; a view of the fed chunk, valid until the next `feed`. */
    bytes: Uint8Array;
  }
  | { type: "partEnd" }
  | { type: "done" };

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SP = 0x20;
const HT = 0x09;

// Where the parser is in the body.
const PREAMBLE = 0; // before the first delimiter: bytes are dropped
const BOUNDARY_LINE = 1; // after a delimiter: "--" (the end) or padding and CRLF
const HEADERS = 2; // a part's header block, up to the empty line
const BODY = 3; // a part's data, up to the next delimiter
const DONE = 4; // after the close delimiter: the epilogue is dropped

// Where the parser is on a boundary line.
const LINE_START = 0;
const LINE_DASH = 1;
const LINE_PADDING = 2;
const LINE_CR = 3;

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Parses a multipart/form-data body fed in slices of any size. Memory stays bounded: besides the
 * current part's header block (at most {@link MAX_PART_HEADER_BYTES}) it keeps only a possible
 * partial delimiter (boundary length + 4 bytes); data events are views of the fed chunk.
 * Malformed input throws HttpError(400) naming what was wrong.
 *
 * ```ts
 * const parser = new MultipartParser(boundary);
 * for (const event of parser.feed(chunk)) { ... }
 * parser.end(); // throws unless the close delimiter was seen
 * ```
 */
export class MultipartParser {
  /** "\r\n--" + boundary: every delimiter, the first one included, is searched with its CRLF. */
  readonly #delimiter: Uint8Array;
  readonly #boundary: string;
  #state = PREAMBLE;
  #lineState = LINE_START;
  /** A delimiter prefix seen at the end of the previous chunk. */
  readonly #carry: Uint8Array;
  #carryLength: number;
  #header: Uint8Array | null = null;
  #headerLength = 0;
  #lineStart = 0;

  /** Throws HttpError(400) for an empty boundary. */
  constructor(boundary: string) {
    if (boundary === "") throw new HttpError(400, "Empty multipart boundary");
    this.#boundary = boundary;
    this.#delimiter = encoder.encode("\r\n--" + boundary);
    this.#carry = new Uint8Array(this.#delimiter.length);
    // The body's start counts as a line start: "--boundary" may open the body without a CRLF.
    this.#carry[0] = CR;
    this.#carry[1] = LF;
    this.#carryLength = 2;
  }

  /** True once the close delimiter has been seen. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** Parses the next slice of the body and returns what it completed, in order. */
  feed(chunk: Uint8Array): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case PREAMBLE:
        case BODY:
          pos = this.#scan(chunk, pos, events);
          break;
        case BOUNDARY_LINE:
          pos = this.#boundaryLine(chunk, pos, events);
          break;
        case HEADERS:
          pos = this.#headers(chunk, pos, events);
          break;
        default:
          return events;
      }
    }
    return events;
  }

  /** Declares the end of the body; throws HttpError(400) unless the close delimiter was seen. */
  end(): void {
    switch (this.#state) {
      case DONE:
        return;
      case PREAMBLE:
        throw new HttpError(400, `No multipart boundary "${this.#boundary}" in the body`);
      case HEADERS:
        throw new HttpError(400, "Multipart body ends inside a part's headers");
      default:
        throw new HttpError(400, "Multipart body ends before the closing boundary");
    }
  }

  /** Looks for the next delimiter; in BODY the bytes before it are data. */
  #scan(chunk: Uint8Array, pos: number, events: MultipartEvent[]): number {
    const d = this.#delimiter;
    const emit = this.#state === BODY;

    // First settle a delimiter prefix left over from the previous chunk.
    const carry = this.#carry;
    const k = this.#carryLength;
    for (let j = 0; j < k; j++) {
      const fromCarry = k - j;
      if (!equalAt(carry, j, d, 0, fromCarry)) continue;
      const need = d.length - fromCarry;
      const n = Math.min(need, chunk.length - pos);
      if (!equalAt(chunk, pos, d, fromCarry, n)) continue;
      if (emit && j > 0) events.push({ type: "data", bytes: carry.slice(0, j) });
      if (n === need) {
        this.#carryLength = 0;
        this.#foundDelimiter(events);
        return pos + need;
      }
      // Still a prefix, and the chunk is used up: keep it for the next one.
      carry.copyWithin(0, j, k);
      carry.set(chunk.subarray(pos), fromCarry);
      this.#carryLength = fromCarry + n;
      return chunk.length;
    }
    if (emit && k > 0) events.push({ type: "data", bytes: carry.slice(0, k) });
    this.#carryLength = 0;

    // Then search the chunk: every delimiter starts with CR.
    let from = pos;
    for (;;) {
      const at = chunk.indexOf(CR, from);
      if (at === -1) break;
      const n = Math.min(d.length, chunk.length - at);
      if (equalAt(chunk, at + 1, d, 1, n - 1)) {
        if (emit && at > pos) events.push({ type: "data", bytes: chunk.subarray(pos, at) });
        if (n === d.length) {
          this.#foundDelimiter(events);
          return at + n;
        }
        carry.set(chunk.subarray(at));
        this.#carryLength = n;
        return chunk.length;
      }
      from = at + 1;
    }
    if (emit && chunk.length > pos) {
      events.push({ type: "data", bytes: chunk.subarray(pos) });
    }
    return chunk.length;
  }

  #foundDelimiter(events: MultipartEvent[]): void {
    if (this.#state === BODY) events.push({ type: "partEnd" });
    this.#state = BOUNDARY_LINE;
    this.#lineState = LINE_START;
  }

  /** After a delimiter: "--" ends the body; otherwise optional padding, then CRLF and headers. */
  #boundaryLine(chunk: Uint8Array, pos: number, events: MultipartEvent[]): number {
    for (; pos < chunk.length; pos++) {
      const b = chunk[pos]!;
      switch (this.#lineState) {
        case LINE_START:
          if (b === DASH) this.#lineState = LINE_DASH;
          else if (b === SP || b === HT) this.#lineState = LINE_PADDING;
          else if (b === CR) this.#lineState = LINE_CR;
          else throw this.#badBoundaryLine();
          break;
        case LINE_DASH:
          if (b !== DASH) throw this.#badBoundaryLine();
          this.#state = DONE;
          events.push({ type: "done" });
          return chunk.length;
        case LINE_PADDING:
          if (b === CR) this.#lineState = LINE_CR;
          else if (b !== SP && b !== HT) throw this.#badBoundaryLine();
          break;
        default:
          if (b !== LF) throw this.#badBoundaryLine();
          this.#state = HEADERS;
          this.#headerLength = 0;
          this.#lineStart = 0;
          return pos + 1;
      }
    }
    return pos;
  }

  #badBoundaryLine(): HttpError {
    return new HttpError(400, `Malformed boundary line after "--${this.#boundary}"`);
  }

  /** Collects a header block up to its empty line, then announces the part. */
  #headers(chunk: Uint8Array, pos: number, events: MultipartEvent[]): number {
    const header = this.#header ??= new Uint8Array(MAX_PART_HEADER_BYTES);
    for (; pos < chunk.length; pos++) {
      const b = chunk[pos]!;
      if (this.#headerLength === header.length) {
        throw new HttpError(400, `Part header block exceeds ${header.length} bytes`);
      }
      header[this.#headerLength++] = b;
      if (b !== LF) continue;
      if (this.#headerLength < 2 || header[this.#headerLength - 2] !== CR) {
        throw new HttpError(400, "Bare LF in part headers");
      }
      if (this.#headerLength - this.#lineStart === 2) {
        events.push(partEvent(header.subarray(0, this.#lineStart)));
        this.#state = BODY;
        return pos + 1;
      }
      this.#lineStart = this.#headerLength;
    }
    return pos;
  }
}

/** Compares `n` bytes of `a` from `ai` with `b` from `bi`. */
function equalAt(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/** Builds the part event from a header block (its lines end in CRLF; no empty line). */
function partEvent(block: Uint8Array): MultipartEvent {
  const headers: [string, string][] = [];
  const text = utf8.decode(block);
  for (const line of text.split("\r\n")) {
    if (line === "") continue;
    const last = headers[headers.length - 1];
    if ((line[0] === " " || line[0] === "\t") && last !== undefined) {
      // Obsolete line folding: a continuation of the previous field.
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon === -1 ? "" : line.slice(0, colon);
    if (name === "" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new HttpError(400, `Malformed part header "${line.slice(0, 100)}"`);
    }
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const disposition = headers.find(([n]) => n === "content-disposition");
  if (disposition === undefined) throw new HttpError(400, "Part has no Content-Disposition header");
  const parsed = parseContentDisposition(disposition[1]);
  if (parsed.type !== "form-data") {
    throw new HttpError(400, `Part disposition "${parsed.type}" is not form-data`);
  }
  const contentType = headers.find(([n]) => n === "content-type");
  return {
    type: "part",
    headers,
    name: parsed.name,
    filename: parsed.filename,
    contentType: contentType === undefined ? null : contentType[1],
  };
}

/**
 * Returns the boundary of a `multipart/form-data` Content-Type, or null when the type is another
 * one or the boundary is missing or unusable (empty, over 200 characters, or with characters
 * outside visible ASCII and inner spaces). RFC 2046 allows 70 characters from a smaller set; the
 * check is looser so that clients with odd boundaries ("*****") still work.
 */
export function boundaryFrom(contentType: string): string | null {
  const parsed = parseParams(contentType);
  if (parsed === null || parsed.value !== "multipart/form-data") return null;
  const boundary = parsed.params.get("boundary");
  if (boundary === undefined || boundary.length > 200) return null;
  if (!/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(boundary)) return null;
  return boundary;
}
