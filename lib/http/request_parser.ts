/**
 * The incremental HTTP/1.1 request-head parser (RFC 9112 §2–§5), in the style of picohttpparser
 * and httparse: one call looks at the bytes received so far and answers with one of three
 * outcomes — incomplete (call again with more bytes), complete (bytes consumed + the head) or
 * error (the status to answer).
 *
 * It is resumable: a {@linkcode HeadParser} keeps its scan position and everything it has learnt
 * about the head between calls (like picohttpparser's `last_len` or nginx's saved state), so every
 * byte is examined once however the head is split across reads — a slow client sending a head
 * one byte at a time costs linear CPU, not quadratic. {@linkcode parseRequestHead} is the
 * stateless form, which starts over on every call.
 *
 * Choices, with nginx as the reference:
 * - Any number of empty lines before the request-line are skipped (RFC 9112 §2.2) and counted in
 *   `consumed`.
 * - Lines may end in CRLF or a bare LF; a CR not followed by LF is an error.
 * - The request-line takes exactly one SP between its three parts (strict; nginx tolerates more).
 * - Errors are reported as soon as a byte proves the head invalid, even before the head is
 *   complete, so a client sending garbage (a TLS handshake, say) is answered at once; a proper
 *   prefix of a valid head is always incomplete.
 * - Limits on the size of the head belong to the caller, which knows its buffer; the parser only
 *   counts header lines (431 over `maxHeaders`).
 *
 * The bytes are scanned once with lookup tables; strings are cut, at the end, from one latin1
 * decode of the whole head (true ISO-8859-1: every byte becomes the code point of the same value).
 */

import { latin1 } from "./latin1.ts";
import type { RequestHead } from "./request.ts";

/** The outcome of {@linkcode HeadParser.parse} and {@linkcode parseRequestHead}. */
export type HeadResult =
  /** More bytes are needed; `inRequestLine` is true while the request-line has not ended yet. */
  | { kind: "incomplete"; inRequestLine: boolean }
  /** A whole head: `consumed` bytes from `start`, including the blank line that ends it. */
  | { kind: "complete"; consumed: number; head: RequestHead }
  /** The head is invalid; answer `status` and close the connection. */
  | { kind: "error"; status: number; message: string };

/** Limits the parser enforces itself. */
export interface HeadLimits {
  /** The most header lines accepted; one more is answered with 431. */
  maxHeaders: number;
}

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const SLASH = 0x2f;
const STAR = 0x2a;
const DOT = 0x2e;

/** tchar (RFC 9110 §5.6.2): 1 for the bytes allowed in a method or a field name. */
const TCHAR = new Uint8Array(256);
/** 1 for the bytes allowed in a request-target: visible ASCII and obs-text (>= 0x80). */
const TARGET = new Uint8Array(256);
/** 1 for the bytes allowed in a field value: HTAB, SP, visible ASCII and obs-text. */
const FIELD = new Uint8Array(256);
/** 1 for the bytes allowed in a URI scheme after its first letter (RFC 3986 §3.1). */
const SCHEME = new Uint8Array(256);

for (let b = 0; b < 256; b++) {
  const visible = b > 0x20 && b < 0x7f;
  const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  TCHAR[b] = alnum || (visible && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b))) ? 1 : 0;
  TARGET[b] = visible || b >= 0x80 ? 1 : 0;
  FIELD[b] = visible || b >= 0x80 || b === SP || b === HT ? 1 : 0;
  SCHEME[b] = alnum || b === 0x2b || b === 0x2d || b === DOT ? 1 : 0;
}

/** "HTTP/" as bytes, matched as the version arrives. */
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];

const INCOMPLETE_REQUEST_LINE: HeadResult = Object.freeze({
  kind: "incomplete",
  inRequestLine: true,
});
const INCOMPLETE_HEADERS: HeadResult = Object.freeze({ kind: "incomplete", inRequestLine: false });

/** Where a suspended parse resumes: the part of the head its next byte belongs to. */
const S_LEADING = 0; // empty lines before the request-line
const S_METHOD = 1;
const S_TARGET = 2;
const S_VERSION = 3; // the HTTP-version and the end of the request-line
const S_LINE = 4; // the start of a header line, or the empty line that ends the head
const S_NAME = 5;
const S_VALUE = 6; // after the colon: the field value and the end of its line

/**
 * Per state, for {@linkcode HeadParser.parse}'s fast path: 1 for the bytes that continue the
 * token or field value being scanned, 2 for CR where a CR that is the last byte so far waits for
 * the next call (the LF after it), 0 for the others.
 */
const RUNS: Uint8Array[] = [];
/** No byte continues; a CR waits. */
const CR_WAITS = new Uint8Array(256);
CR_WAITS[CR] = 2;
/** FIELD, and a CR waits. */
const VALUE = FIELD.slice();
VALUE[CR] = 2;
RUNS[S_LEADING] = CR_WAITS;
RUNS[S_METHOD] = TCHAR;
RUNS[S_TARGET] = TARGET;
RUNS[S_VERSION] = CR_WAITS;
RUNS[S_LINE] = CR_WAITS;
RUNS[S_NAME] = TCHAR;
RUNS[S_VALUE] = VALUE;

/** Header lines recorded before the scratch space first grows. */
const INITIAL_FIELDS = 32;

/**
 * Per header line, relative to the request-line's start: name start, name end, value start, value
 * end (the current line's are filled in as they become known). One array for every parser: a parse
 * runs to its answer without awaiting, and a parser that suspends inside the header lines keeps a
 * copy of what it needs (an idle keep-alive connection holds none).
 */
let scratch = new Int32Array(4 * INITIAL_FIELDS);

/** Doubles `fields` (the scratch or a parser's copy), keeping what it holds. */
function grow(fields: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(fields.length * 2);
  grown.set(fields);
  if (fields === scratch) scratch = grown;
  return grown;
}

function fail(status: number, message: string): HeadResult {
  return { kind: "error", status, message };
}

/**
 * A resumable request-head parser; keep one per connection.
 *
 * ```ts
 * const parser = new HeadParser({ maxHeaders: 100 });
 * const result = parser.parse(buf, start, end);
 * ```
 *
 * While {@linkcode parse} answers incomplete, call it again once more bytes have arrived: with
 * the pending bytes (the ones of the previous call, unchanged, followed by new ones) in
 * buf[start, end). `buf` and `start` may differ from the previous call — the caller may move its
 * unread bytes to the front of its buffer, or into a bigger one — because the parser keeps its
 * position and all its state relative to `start`. Each byte is examined once overall (the
 * whitespace around a field value once more, as it is trimmed), plus a constant per call. Should
 * `end - start` be shorter than what was already examined (the contract broken), the parser
 * starts over from `start`.
 *
 * After answering complete or error, the parser is ready for a new head; {@linkcode reset}
 * abandons a head midway (say, a connection that drops its pending bytes). Incomplete answers
 * allocate nothing.
 */
export class HeadParser {
  /** The limits, read as each header line starts (a change applies from the next line on). */
  readonly limits: HeadLimits;

  // The state of a suspended parse: offsets relative to `start`, except where noted.
  /** The part of the head the next byte belongs to (one of the S_ constants). */
  #state = S_LEADING;
  /** The next byte to examine. */
  #pos = 0;
  /** Where the request-line starts, after any empty lines. */
  #lineStart = 0;
  /** The SP after the method. */
  #methodEnd = 0;
  /** The SP after the request-target. */
  #targetEnd = 0;
  /** Where the path of the target starts, relative to the target (0 unless absolute-form). */
  #pathStart = 0;
  /** The minor version, once the request-line has ended. */
  #minor = 0;
  /** The header lines ended so far. */
  #count = 0;
  /** `RUNS[#state]`, for {@linkcode parse}'s fast path. */
  #skip: Uint8Array = CR_WAITS;
  /** The answer while suspended in `#state`. */
  #pending = INCOMPLETE_REQUEST_LINE;
  /** While suspended inside the header lines: its own copy of their offsets (see `scratch`). */
  #fields: Int32Array<ArrayBuffer> | null = null;

  constructor(limits: HeadLimits) {
    this.limits = limits;
  }

  /** Forgets the head being parsed: the next {@linkcode parse} starts a new one. */
  reset(): void {
    this.#state = S_LEADING;
    this.#pos = 0;
    this.#count = 0;
    this.#skip = CR_WAITS;
    this.#pending = INCOMPLETE_REQUEST_LINE;
    this.#fields = null;
  }

  /**
   * Parses the request head in buf[start, end), resuming where the previous call (answered
   * incomplete) stopped. Never throws. Once it answers complete, the next request (pipelined) or
   * the body starts at `start + consumed`.
   */
  parse(buf: Uint8Array, start: number, end: number): HeadResult {
    let p = start + this.#pos;
    if (p > end) {
      this.reset();
      return this.#run(buf, start, end, S_LEADING, start);
    }
    // Resumed inside a token or a field value (a slow client's usual case): skip the bytes that
    // continue it; if they run up to `end` (or a CR that must wait for its LF), nothing else has
    // changed.
    const skip = this.#skip;
    while (p < end && skip[buf[p]!] === 1) p++;
    if (p === end || (p + 1 === end && skip[buf[p]!] === 2)) {
      this.#pos = p - start;
      return this.#pending;
    }
    return this.#run(buf, start, end, this.#state, p);
  }

  /** The parse from buf[p] on, in `state`: the rest of {@linkcode parse}. */
  #run(buf: Uint8Array, start: number, end: number, state: number, p: number): HeadResult {
    let count = this.#count;
    let fields = this.#fields ?? scratch;
    let lineStart = start + this.#lineStart;
    // Taken: unless the call suspends again (incomplete), the next one starts a new head.
    this.reset();
    let b = 0;

    if (state < S_LINE) {
      // Empty lines before the request-line are ignored (RFC 9112 §2.2).
      if (state === S_LEADING) {
        while (p < end) {
          b = buf[p]!;
          if (b === LF) p++;
          else if (b === CR) {
            if (p + 1 === end) return this.#suspend(S_LEADING, p - start, count);
            if (buf[p + 1] !== LF) return fail(400, "Bare CR in request line");
            p += 2;
          } else break;
        }
        if (p === end) return this.#suspend(S_LEADING, p - start, count);
        lineStart = p;
        this.#lineStart = p - start;
        state = S_METHOD;
      }

      // method SP: a token.
      if (state === S_METHOD) {
        while (p < end && TCHAR[buf[p]!] === 1) p++;
        if (p === end) return this.#suspend(S_METHOD, p - start, count);
        if (p === lineStart || buf[p] !== SP) return fail(400, "Invalid method");
        this.#methodEnd = p - start;
        p++;
        state = S_TARGET;
      }

      // request-target SP: no controls, no spaces.
      if (state === S_TARGET) {
        while (p < end && TARGET[buf[p]!] === 1) p++;
        if (p === end) return this.#suspend(S_TARGET, p - start, count);
        b = buf[p]!;
        if (b !== SP) {
          if (b === CR || b === LF) return fail(400, "Missing HTTP version");
          return fail(400, "Invalid character in request target");
        }
        if (p === start + this.#methodEnd + 1) return fail(400, "Invalid request target");
        this.#targetEnd = p - start;
        p++;
      }

      // HTTP-version: "HTTP/" DIGIT "." DIGIT, checked byte by byte as it arrives. A CR that is
      // the last byte so far is looked at again by the next call.
      const targetEnd = start + this.#targetEnd;
      const versionStart = targetEnd + 1;
      for (; p < end; p++) {
        b = buf[p]!;
        if (b === CR || b === LF) break;
        const i = p - versionStart;
        if (i < 5 ? b !== HTTP_SLASH[i] : i >= 8) return fail(400, "Invalid HTTP version");
      }
      if (p === end) return this.#suspend(S_VERSION, p - start, count);
      const versionEnd = p;
      if (b === CR) {
        if (p + 1 === end) return this.#suspend(S_VERSION, p - start, count);
        if (buf[p + 1] !== LF) return fail(400, "Bare CR in request line");
        p++;
      }
      p++;
      const version = checkVersion(buf, versionStart, versionEnd);
      if (typeof version !== "number") return version;
      this.#minor = version;

      // The target must be in origin-, absolute- or asterisk-form (RFC 9112 §3.2).
      const targetStart = start + this.#methodEnd + 1;
      const first = buf[targetStart]!;
      let pathStart = 0;
      if (first !== SLASH && !(first === STAR && targetEnd - targetStart === 1)) {
        pathStart = absolutePathStart(buf, targetStart, targetEnd);
        if (pathStart < 0) return fail(400, "Invalid request target");
      }
      this.#pathStart = pathStart;
      state = S_LINE;
    }

    // Header lines until an empty line. A call that resumes inside a line jumps, once, to where
    // the previous one stopped (out of a labelled block); other lines start at the top.
    lines: for (;;) {
      const k = 4 * count;
      let nameStart = p;
      value: {
        name: {
          if (state !== S_LINE) {
            const resumed = state;
            state = S_LINE;
            nameStart = lineStart + fields[k]!;
            if (resumed === S_VALUE) break value;
            // In a name, unless it has not begun (see below): then the line starts here.
            if (p !== nameStart) break name;
          }
          if (p === end) {
            // The next line has not begun: it most likely starts with a name, which the next
            // call can skip as it arrives (but the byte after maxHeaders lines is answered 431).
            if (count === this.limits.maxHeaders) {
              return this.#suspend(S_LINE, p - start, count, fields);
            }
            if (k + 4 > fields.length) fields = grow(fields);
            fields[k] = p - lineStart;
            return this.#suspend(S_NAME, p - start, count, fields);
          }
          b = buf[p]!;
          if (b === LF) {
            p++;
            break lines;
          }
          if (b === CR) {
            if (p + 1 === end) return this.#suspend(S_LINE, p - start, count, fields);
            if (buf[p + 1] !== LF) return fail(400, "Bare CR in header field");
            p += 2;
            break lines;
          }
          // A line starting with whitespace is obs-fold (RFC 9112 §5.2), or whitespace before the
          // first field (§2.2): both rejected.
          if (b === SP || b === HT) return fail(400, "Obsolete line folding in header field");
          if (count === this.limits.maxHeaders) return fail(431, "Too many header fields");
          if (k + 4 > fields.length) fields = grow(fields);
          fields[k] = p - lineStart;
        }

        // field-name ":" with no whitespace before the colon (RFC 9112 §5.1).
        while (p < end && TCHAR[buf[p]!] === 1) p++;
        if (p === end) return this.#suspend(S_NAME, p - start, count, fields);
        b = buf[p]!;
        if (b !== COLON || p === nameStart) {
          if (b === SP || b === HT) return fail(400, "Whitespace before colon in header field");
          return fail(400, "Invalid header field name");
        }
        fields[k + 1] = p - lineStart;
        p++;
      }

      // OWS field-value OWS: no controls but HTAB. (The whitespace is told apart from the value
      // once the line has ended.)
      while (p < end && FIELD[buf[p]!] === 1) p++;
      if (p === end) return this.#suspend(S_VALUE, p - start, count, fields);
      b = buf[p]!;
      if (b === CR) {
        // A CR that is the last byte so far is looked at again by the next call.
        if (p + 1 === end) return this.#suspend(S_VALUE, p - start, count, fields);
        if (buf[p + 1] !== LF) return fail(400, "Bare CR in header field");
      } else if (b !== LF) return fail(400, "Invalid character in header field value");
      // The line is whole: trim the value's whitespace.
      let valueStart = lineStart + fields[k + 1]! + 1;
      while (valueStart < p && (buf[valueStart] === SP || buf[valueStart] === HT)) valueStart++;
      let valueEnd = p;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) {
        valueEnd--;
      }
      fields[k + 2] = valueStart - lineStart;
      fields[k + 3] = valueEnd - lineStart;
      p += b === CR ? 2 : 1;
      count++;
    }

    return this.#complete(buf, start, lineStart, p, count, fields);
  }

  /** The result for the valid head in buf[lineStart, p), of `count` header lines. */
  #complete(
    buf: Uint8Array,
    start: number,
    lineStart: number,
    p: number,
    count: number,
    fields: Int32Array,
  ): HeadResult {
    // Cut the strings from one decode.
    const methodEnd = start + this.#methodEnd;
    const targetEnd = start + this.#targetEnd;
    const pathStart = this.#pathStart;
    const text = latin1(buf, lineStart, p);
    const method = knownMethod(buf, lineStart, methodEnd) ?? text.slice(0, methodEnd - lineStart);
    const target = text.slice(methodEnd + 1 - lineStart, targetEnd - lineStart);
    if (target === "*" && method !== "OPTIONS") {
      return fail(400, "Asterisk-form target without OPTIONS");
    }
    const headers: [string, string][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const k = 4 * i;
      headers[i] = [
        text.slice(fields[k]!, fields[k + 1]!).toLowerCase(),
        text.slice(fields[k + 2]!, fields[k + 3]!),
      ];
    }

    // rawPath and query split at the first "?"; for absolute-form, of the part after the
    // authority. A fragment ("#...") has no place in a request target: it is dropped, as nginx
    // does.
    const hash = target.indexOf("#", pathStart);
    const targetEndNoFragment = hash < 0 ? target.length : hash;
    const q = target.indexOf("?", pathStart);
    const queryStart = q < 0 || q > targetEndNoFragment ? -1 : q;
    const rawPath = target.slice(pathStart, queryStart < 0 ? targetEndNoFragment : queryStart);
    const head: RequestHead = {
      method,
      target,
      rawPath: rawPath === "" ? "/" : rawPath,
      query: queryStart < 0 ? "" : target.slice(queryStart + 1, targetEndNoFragment),
      minor: this.#minor,
      headers,
    };
    return { kind: "complete", consumed: p - start, head };
  }

  /**
   * Saves where to resume (`pos` relative to `start`) and answers incomplete; inside the header
   * lines, with the offsets of those so far (copied out of the shared scratch).
   */
  #suspend(
    state: number,
    pos: number,
    count: number,
    fields: Int32Array<ArrayBuffer> | null = null,
  ): HeadResult {
    if (fields !== null) {
      this.#fields = fields === scratch ? fields.slice(0, 4 * count + 4) : fields;
    }
    this.#state = state;
    this.#pos = pos;
    this.#count = count;
    this.#skip = RUNS[state]!;
    return this.#pending = state < S_LINE ? INCOMPLETE_REQUEST_LINE : INCOMPLETE_HEADERS;
  }
}

/** The parser behind {@linkcode parseRequestHead}, reset on every call. */
let shared: HeadParser | null = null;

/**
 * Parses one request head from buf[start, end), from scratch: the same as
 * `new HeadParser(limits).parse(buf, start, end)`. Never throws.
 *
 * Called again with the same `start` and a larger `end` while it answers incomplete, it scans the
 * head again from `start` (quadratic over a head that arrives in many pieces): keep a
 * {@linkcode HeadParser} per connection instead.
 */
export function parseRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: HeadLimits,
): HeadResult {
  if (shared === null || shared.limits !== limits) shared = new HeadParser(limits);
  else shared.reset();
  return shared.parse(buf, start, end);
}

/**
 * GET, HEAD or POST as the one string constant of each (compared and looked up in sets on every
 * request, where a sliced copy would be hashed and compared character by character), else null.
 */
function knownMethod(buf: Uint8Array, from: number, to: number): string | null {
  const len = to - from;
  const b0 = buf[from];
  if (len === 3 && b0 === 0x47 && buf[from + 1] === 0x45 && buf[from + 2] === 0x54) return "GET";
  if (len === 4 && b0 === 0x48 && buf[from + 1] === 0x45 && buf[from + 2] === 0x41) {
    return buf[from + 3] === 0x44 ? "HEAD" : null;
  }
  if (len === 4 && b0 === 0x50 && buf[from + 1] === 0x4f && buf[from + 2] === 0x53) {
    return buf[from + 3] === 0x54 ? "POST" : null;
  }
  return null;
}

/** The minor version of a valid "HTTP/1.x" in buf[from, to), or the error to answer. */
function checkVersion(buf: Uint8Array, from: number, to: number): number | HeadResult {
  // The first five bytes ("HTTP/") were checked as they arrived.
  const len = to - from;
  const major = buf[from + 5]! - 0x30;
  const minor = buf[from + 7]! - 0x30;
  const majorOk = len >= 6 && major >= 0 && major <= 9;
  if (len === 8 && majorOk && buf[from + 6] === DOT && minor >= 0 && minor <= 9) {
    if (major !== 1) return fail(505, "Unsupported HTTP version");
    return minor === 0 ? 0 : 1;
  }
  // "HTTP/2", "HTTP/3": a version we do not speak, not a malformed one.
  if (len === 6 && majorOk && major !== 1) return fail(505, "Unsupported HTTP version");
  return fail(400, "Invalid HTTP version");
}

/**
 * For an absolute-form target in buf[from, to) (scheme "://" authority [path-abempty] ["?" query])
 * returns the offset, relative to `from`, where the path (or "?") starts — the target's length
 * when there is neither; -1 when the target is not in absolute-form.
 */
function absolutePathStart(buf: Uint8Array, from: number, to: number): number {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const first = buf[from]! | 0x20;
  if (first < 0x61 || first > 0x7a) return -1;
  let p = from + 1;
  while (p < to && SCHEME[buf[p]!] === 1) p++;
  if (to - p < 3 || buf[p] !== COLON || buf[p + 1] !== SLASH || buf[p + 2] !== SLASH) return -1;
  p += 3;
  // authority: up to the path or the query, and not empty.
  const authorityStart = p;
  while (p < to && buf[p] !== SLASH && buf[p] !== 0x3f) p++;
  return p === authorityStart ? -1 : p - from;
}
