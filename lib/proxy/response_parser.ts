/**
 * The incremental parser of an upstream server's HTTP/1.x response head (RFC 9112 §4, §5), for the
 * reverse proxy. Like the request parser ({@linkcode HeadParser} in lib/http/request_parser.ts) it
 * answers one of three outcomes — incomplete, complete (bytes consumed + the head) or error — and
 * it is resumable, so every byte is examined once however the head is split across reads. An
 * error carries no status: every malformed upstream answer is a 502 to the client.
 *
 * Choices, with nginx's `ngx_http_parse_status_line` and `ngx_http_proxy_process_header` as the
 * reference, lenient only where no byte's meaning becomes ambiguous:
 * - The status line is "HTTP/1." DIGIT, one or more SP (nginx skips extra SP before the code),
 *   3DIGIT from 100 to 599 (RFC 9110 §15: others are invalid; nginx takes any three digits), then
 *   SP and a reason phrase, or the end of the line (nginx accepts "HTTP/1.1 200" without the SP).
 * - Not accepted, unlike nginx: a reason with controls other than HTAB (nginx takes any byte but
 *   CR and LF), IIS's "403.1" (the ".1" would become part of the reason), a multi-digit version
 *   ("HTTP/1.10", RFC 9112 §2.3 says DIGIT "." DIGIT), and anything that is not a status line —
 *   nginx then passes the bytes on as an HTTP/0.9 body, which would let a desynchronised upstream
 *   connection answer with whatever it holds.
 * - "HTTP/2.0", "HTTP/0.9" and other majors: an unsupported version, reported at the major digit.
 * - Header fields as strict as the request parser's: no obs-fold, no whitespace before the colon,
 *   names are tokens, values have no controls but HTAB; lines may end in CRLF or a bare LF; a CR
 *   not followed by LF is an error.
 * - Limits are the constructor's options: the head's size, as nginx's `proxy_buffer_size` bounds
 *   it ("upstream sent too big header" once `maxHeadBytes` bytes hold no whole head), and the
 *   number of header lines. The parser never looks past `maxHeadBytes`, so the answer does not
 *   depend on how the bytes were split.
 * - Errors are reported as soon as a byte proves the head invalid; a proper prefix of a valid head
 *   is always incomplete.
 */

import { latin1 } from "../http/latin1.ts";

/** A parsed response head. */
export interface ResponseHead {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x). */
  minor: number;
  /** The status code, 100 to 599. */
  status: number;
  /** The reason phrase exactly as sent after the SP that follows the code; may be empty. */
  reason: string;
  /** Header fields in order, names lower-cased, values trimmed of surrounding spaces/tabs. */
  headers: [name: string, value: string][];
}

/** The outcome of {@linkcode ResponseHeadParser.parse}. */
export type ResponseHeadResult =
  /** More bytes are needed. */
  | { kind: "incomplete" }
  /** A whole head: `consumed` bytes from `start`, including the blank line that ends it. */
  | { kind: "complete"; consumed: number; head: ResponseHead }
  /** The head is invalid or too big: answer 502 and close the upstream connection. */
  | { kind: "error"; message: string };

/** Limits the parser enforces; each defaults to the constant named after it. */
export interface ResponseHeadLimits {
  /** The most bytes of head, status line and final empty line included. */
  maxHeadBytes?: number;
  /** The most header lines accepted. */
  maxHeaders?: number;
}

/** The default bound on the head's size: 8 KiB, as nginx's `proxy_buffer_size` on most systems. */
export const DEFAULT_MAX_HEAD_BYTES = 8192;

/** The default bound on the number of header lines, as the server's `max_headers`. */
export const DEFAULT_MAX_HEADERS = 100;

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const DOT = 0x2e;
const ZERO = 0x30;

/** tchar (RFC 9110 §5.6.2): 1 for the bytes allowed in a field name. */
const TCHAR = new Uint8Array(256);
/** 1 for the bytes allowed in a field value or a reason phrase: HTAB, SP, visible, obs-text. */
const FIELD = new Uint8Array(256);

for (let b = 0; b < 256; b++) {
  const visible = b > 0x20 && b < 0x7f;
  const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  TCHAR[b] = alnum || (visible && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b))) ? 1 : 0;
  FIELD[b] = visible || b >= 0x80 || b === SP || b === HT ? 1 : 0;
}

/** "HTTP/1." as bytes, matched as the version arrives; a digit follows. */
const HTTP_1_DOT = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, DOT];
/** The offset of the major digit in the status line. */
const MAJOR = 5;
/** The offset of the minor digit; the SP after it ends the version. */
const MINOR = 7;

/** Where a suspended parse resumes: the part of the head its next byte belongs to. */
const S_VERSION = 0; // "HTTP/1.x" and the SP after it
const S_STATUS = 1; // more SP, the three digits and the byte after them
const S_REASON = 2; // the reason phrase and the end of the status line
const S_LINE = 3; // the start of a header line, or the empty line that ends the head
const S_NAME = 4;
const S_VALUE = 5; // after the colon: the field value and the end of its line

/**
 * Per state, for {@linkcode ResponseHeadParser.parse}'s fast path: 1 for the bytes that continue
 * the token or text being scanned, 2 for CR where a CR that is the last byte so far waits for the
 * next call (the LF after it), 0 for the others.
 */
const RUNS: Uint8Array[] = [];
/** No byte continues, none waits: the status line's fixed parts are looked at one by one. */
const NO_RUN = new Uint8Array(256);
/** No byte continues; a CR waits. */
const CR_WAITS = new Uint8Array(256);
CR_WAITS[CR] = 2;
/** FIELD, and a CR waits. */
const TEXT = FIELD.slice();
TEXT[CR] = 2;
RUNS[S_VERSION] = NO_RUN;
RUNS[S_STATUS] = NO_RUN;
RUNS[S_REASON] = TEXT;
RUNS[S_LINE] = CR_WAITS;
RUNS[S_NAME] = TCHAR;
RUNS[S_VALUE] = TEXT;

const INCOMPLETE: ResponseHeadResult = Object.freeze({ kind: "incomplete" });

/** Header lines recorded before the scratch space first grows. */
const INITIAL_FIELDS = 32;

function fail(message: string): ResponseHeadResult {
  return { kind: "error", message };
}

/**
 * A resumable response-head parser; keep one per upstream connection.
 *
 * ```ts
 * const parser = new ResponseHeadParser({ maxHeadBytes: 4096 });
 * const result = parser.parse(buf, start, end);
 * ```
 *
 * The contract is {@linkcode HeadParser}'s: while {@linkcode parse} answers incomplete, call it
 * again once more bytes have arrived, with the pending bytes (the previous call's, unchanged,
 * followed by new ones) in buf[start, end); `buf` and `start` may change between calls (the
 * caller may move its unread bytes), as the parser keeps its state relative to `start`. Each byte
 * is examined once overall (the whitespace around a field value once more, as it is trimmed),
 * plus a constant per call. Handed fewer bytes than it has examined, it starts over from `start`.
 *
 * After complete or error, the parser is ready for a new head (the final response after a 1xx,
 * or the next response on a kept-alive connection); {@linkcode reset} abandons a head midway.
 * Incomplete answers allocate nothing.
 */
export class ResponseHeadParser {
  /** The most bytes of head; more without a whole head is an error. */
  readonly maxHeadBytes: number;
  /** The most header lines; one more is an error. */
  readonly maxHeaders: number;

  // The state of a suspended parse: offsets relative to `start`.
  /** The part of the head the next byte belongs to (one of the S_ constants). */
  #state = S_VERSION;
  /** The next byte to examine. */
  #pos = 0;
  /** The minor version, once the version has been read. */
  #minor = 0;
  /** The digits of the status code read so far, and their value. */
  #digits = 0;
  #status = 0;
  /** Where the reason phrase starts, and where the status line's text ends. */
  #reasonStart = 0;
  #reasonEnd = 0;
  /** The header lines ended so far. */
  #count = 0;
  /** `RUNS[#state]`, for {@linkcode parse}'s fast path. */
  #skip: Uint8Array = NO_RUN;
  /**
   * Per header line: name start, name end, value start, value end (the current line's are filled
   * in as they become known).
   */
  #fields = new Int32Array(4 * INITIAL_FIELDS);

  /** Creates a parser with the given limits (defaults: 8 KiB of head, 100 header lines). */
  constructor(limits: ResponseHeadLimits = {}) {
    this.maxHeadBytes = limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
    this.maxHeaders = limits.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** Forgets the head being parsed: the next {@linkcode parse} starts a new one. */
  reset(): void {
    this.#state = S_VERSION;
    this.#pos = 0;
    this.#count = 0;
    this.#skip = NO_RUN;
  }

  /**
   * Parses the response head in buf[start, end), resuming where the previous call (answered
   * incomplete) stopped. Never throws. Once it answers complete, the body (or the next head,
   * after a 1xx) starts at `start + consumed`.
   */
  parse(buf: Uint8Array, start: number, end: number): ResponseHeadResult {
    // Nothing past the limit is looked at: a head that does not end within it is too big.
    const over = end - start > this.maxHeadBytes;
    const limit = over ? start + this.maxHeadBytes : end;
    let p = start + this.#pos;
    let result: ResponseHeadResult;
    if (p > limit) {
      this.reset();
      result = this.#run(buf, start, limit, S_VERSION, start);
    } else {
      // Resumed inside a reason, a name or a value (a slow upstream's usual case): skip the bytes
      // that continue it; if they run up to the limit (or a CR that must wait for its LF), nothing
      // else has changed.
      const skip = this.#skip;
      while (p < limit && skip[buf[p]!] === 1) p++;
      if (p === limit || (p + 1 === limit && skip[buf[p]!] === 2)) {
        this.#pos = p - start;
        result = INCOMPLETE;
      } else {
        result = this.#run(buf, start, limit, this.#state, p);
      }
    }
    if (result.kind !== "incomplete" || !over) return result;
    this.reset();
    return fail("upstream sent too big header");
  }

  /** The parse from buf[p] on, in `state`: the rest of {@linkcode parse}. */
  #run(
    buf: Uint8Array,
    start: number,
    end: number,
    state: number,
    p: number,
  ): ResponseHeadResult {
    let count = this.#count;
    let fields = this.#fields;
    // Taken: unless the call suspends again (incomplete), the next one starts a new head.
    this.reset();
    let b = 0;

    if (state < S_LINE) {
      // "HTTP/1." DIGIT SP, checked byte by byte as it arrives.
      if (state === S_VERSION) {
        for (; p < end; p++) {
          const i = p - start;
          if (i > MINOR) break;
          b = buf[p]!;
          if (i === MINOR ? b < ZERO || b > ZERO + 9 : b !== HTTP_1_DOT[i]) {
            // A version that is well-formed so far, but not 1.x: one we do not speak.
            if (i === MAJOR && b >= ZERO && b <= ZERO + 9) {
              return fail("upstream sent unsupported HTTP version");
            }
            return fail("upstream sent no valid HTTP/1.0 header");
          }
        }
        if (p === end) return this.#suspend(S_VERSION, p - start, count);
        if (buf[p] !== SP) return fail("upstream sent no valid HTTP/1.0 header");
        p++;
        this.#minor = buf[start + MINOR] === ZERO ? 0 : 1;
        this.#digits = 0;
        this.#status = 0;
        state = S_STATUS;
      }

      // *SP 3DIGIT, then SP or the end of the line; the code from 100 to 599.
      if (state === S_STATUS) {
        let digits = this.#digits;
        let status = this.#status;
        for (; p < end; p++) {
          b = buf[p]!;
          if (digits === 3) break;
          if (b === SP && digits === 0) continue;
          const digit = b - ZERO;
          if (digit < 0 || digit > 9 || (digits === 0 && (digit < 1 || digit > 5))) {
            return fail("upstream sent invalid status code");
          }
          status = status * 10 + digit;
          digits++;
        }
        if (p === end) {
          this.#digits = digits;
          this.#status = status;
          return this.#suspend(S_STATUS, p - start, count);
        }
        this.#status = status;
        if (b === SP) p++;
        else if (b !== CR && b !== LF) return fail("upstream sent invalid status code");
        this.#reasonStart = p - start;
      }

      // reason-phrase: no controls but HTAB. A CR that is the last byte so far is looked at again
      // by the next call.
      while (p < end && FIELD[buf[p]!] === 1) p++;
      if (p === end) return this.#suspend(S_REASON, p - start, count);
      b = buf[p]!;
      if (b === CR) {
        if (p + 1 === end) return this.#suspend(S_REASON, p - start, count);
        if (buf[p + 1] !== LF) return fail("upstream sent bare CR in status line");
      } else if (b !== LF) return fail("upstream sent invalid reason phrase");
      this.#reasonEnd = p - start;
      p += b === CR ? 2 : 1;
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
            nameStart = start + fields[k]!;
            if (resumed === S_VALUE) break value;
            // In a name, unless it has not begun (see below): then the line starts here.
            if (p !== nameStart) break name;
          }
          if (p === end) {
            // The next line has not begun: it most likely starts with a name, which the next
            // call can skip as it arrives (but the line after maxHeaders lines is an error).
            if (count === this.maxHeaders) return this.#suspend(S_LINE, p - start, count);
            if (k + 4 > fields.length) fields = this.#grow();
            fields[k] = p - start;
            return this.#suspend(S_NAME, p - start, count);
          }
          b = buf[p]!;
          if (b === LF) {
            p++;
            break lines;
          }
          if (b === CR) {
            if (p + 1 === end) return this.#suspend(S_LINE, p - start, count);
            if (buf[p + 1] !== LF) return fail("upstream sent bare CR in header");
            p += 2;
            break lines;
          }
          // A line starting with whitespace is obs-fold (RFC 9112 §5.2), or whitespace before the
          // first field: both rejected.
          if (b === SP || b === HT) return fail("upstream sent obsolete line folding in header");
          if (count === this.maxHeaders) return fail("upstream sent too many header lines");
          if (k + 4 > fields.length) fields = this.#grow();
          fields[k] = p - start;
        }

        // field-name ":" with no whitespace before the colon (RFC 9112 §5.1).
        while (p < end && TCHAR[buf[p]!] === 1) p++;
        if (p === end) return this.#suspend(S_NAME, p - start, count);
        b = buf[p]!;
        if (b !== COLON || p === nameStart) {
          if (b === SP || b === HT) return fail("upstream sent whitespace before colon in header");
          return fail("upstream sent invalid header name");
        }
        fields[k + 1] = p - start;
        p++;
      }

      // OWS field-value OWS: no controls but HTAB. (The whitespace is told apart from the value
      // once the line has ended.)
      while (p < end && FIELD[buf[p]!] === 1) p++;
      if (p === end) return this.#suspend(S_VALUE, p - start, count);
      b = buf[p]!;
      if (b === CR) {
        // A CR that is the last byte so far is looked at again by the next call.
        if (p + 1 === end) return this.#suspend(S_VALUE, p - start, count);
        if (buf[p + 1] !== LF) return fail("upstream sent bare CR in header");
      } else if (b !== LF) return fail("upstream sent invalid character in header value");
      // The line is whole: trim the value's whitespace.
      let valueStart = start + fields[k + 1]! + 1;
      while (valueStart < p && (buf[valueStart] === SP || buf[valueStart] === HT)) valueStart++;
      let valueEnd = p;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) {
        valueEnd--;
      }
      fields[k + 2] = valueStart - start;
      fields[k + 3] = valueEnd - start;
      p += b === CR ? 2 : 1;
      count++;
    }

    return this.#complete(buf, start, p, count);
  }

  /** The result for the valid head in buf[start, p), of `count` header lines. */
  #complete(buf: Uint8Array, start: number, p: number, count: number): ResponseHeadResult {
    // Cut the strings from one decode.
    const fields = this.#fields;
    const text = latin1(buf, start, p);
    const headers: [string, string][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const k = 4 * i;
      headers[i] = [
        text.slice(fields[k]!, fields[k + 1]!).toLowerCase(),
        text.slice(fields[k + 2]!, fields[k + 3]!),
      ];
    }
    const head: ResponseHead = {
      minor: this.#minor,
      status: this.#status,
      reason: text.slice(this.#reasonStart, this.#reasonEnd),
      headers,
    };
    return { kind: "complete", consumed: p - start, head };
  }

  /** Saves where to resume (`pos` relative to `start`) and answers incomplete. */
  #suspend(state: number, pos: number, count: number): ResponseHeadResult {
    this.#state = state;
    this.#pos = pos;
    this.#count = count;
    this.#skip = RUNS[state]!;
    return INCOMPLETE;
  }

  /** Doubles the scratch space for header lines, keeping what it holds. */
  #grow(): Int32Array<ArrayBuffer> {
    const grown = new Int32Array(this.#fields.length * 2);
    grown.set(this.#fields);
    this.#fields = grown;
    return grown;
  }
}
