/**
 * The incremental HTTP/1.1 request-head parser (RFC 9112 §2–§5), in the style of picohttpparser
 * and httparse: one call looks at the bytes received so far and answers with one of three
 * outcomes — incomplete (call again with more bytes), complete (bytes consumed + the head) or
 * error (the status to answer).
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

import { Buffer } from "node:buffer";
import type { RequestHead } from "./request.ts";

/** The outcome of {@linkcode parseRequestHead}. */
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

/** Offsets of the header lines of the current call: name start, name end, value start, value end. */
let fields = new Int32Array(4 * 64);

function fail(status: number, message: string): HeadResult {
  return { kind: "error", status, message };
}

/** Decodes buf[from, to) as latin1, byte for byte. */
function latin1(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString("latin1");
}

/**
 * Parses one request head from buf[start, end). Never throws.
 *
 * Call it again with the same `start` and a larger `end` while it answers incomplete; once it
 * answers complete, the next request (pipelined) or the body starts at `start + consumed`.
 */
export function parseRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: HeadLimits,
): HeadResult {
  let p = start;
  let b = 0;

  // Empty lines before the request-line are ignored (RFC 9112 §2.2).
  while (p < end) {
    b = buf[p]!;
    if (b === LF) p++;
    else if (b === CR) {
      if (p + 1 === end) return INCOMPLETE_REQUEST_LINE;
      if (buf[p + 1] !== LF) return fail(400, "Bare CR in request line");
      p += 2;
    } else break;
  }

  // method SP: a token.
  const lineStart = p;
  while (p < end && TCHAR[buf[p]!] === 1) p++;
  if (p === end) return INCOMPLETE_REQUEST_LINE;
  const methodEnd = p;
  if (methodEnd === lineStart || buf[p] !== SP) return fail(400, "Invalid method");
  p++;

  // request-target SP: no controls, no spaces.
  const targetStart = p;
  while (p < end && TARGET[buf[p]!] === 1) p++;
  if (p === end) return INCOMPLETE_REQUEST_LINE;
  const targetEnd = p;
  b = buf[p]!;
  if (b !== SP) {
    if (b === CR || b === LF) return fail(400, "Missing HTTP version");
    return fail(400, "Invalid character in request target");
  }
  if (targetEnd === targetStart) return fail(400, "Invalid request target");
  p++;

  // HTTP-version: "HTTP/" DIGIT "." DIGIT, checked byte by byte as it arrives.
  const versionStart = p;
  for (; p < end; p++) {
    b = buf[p]!;
    if (b === CR || b === LF) break;
    const i = p - versionStart;
    if (i < 5 ? b !== HTTP_SLASH[i] : i >= 8) return fail(400, "Invalid HTTP version");
  }
  if (p === end) return INCOMPLETE_REQUEST_LINE;
  const versionEnd = p;
  if (b === CR) {
    if (p + 1 === end) return INCOMPLETE_REQUEST_LINE;
    if (buf[p + 1] !== LF) return fail(400, "Bare CR in request line");
    p++;
  }
  p++;
  const version = checkVersion(buf, versionStart, versionEnd);
  if (typeof version !== "number") return version;

  // The target must be in origin-, absolute- or asterisk-form (RFC 9112 §3.2).
  const first = buf[targetStart]!;
  const asterisk = first === STAR && targetEnd - targetStart === 1;
  if (first !== SLASH && !asterisk && absolutePathStart(buf, targetStart, targetEnd) < 0) {
    return fail(400, "Invalid request target");
  }

  // Header lines until an empty line.
  let count = 0;
  for (;;) {
    if (p === end) return INCOMPLETE_HEADERS;
    b = buf[p]!;
    if (b === LF) {
      p++;
      break;
    }
    if (b === CR) {
      if (p + 1 === end) return INCOMPLETE_HEADERS;
      if (buf[p + 1] !== LF) return fail(400, "Bare CR in header field");
      p += 2;
      break;
    }
    // A line starting with whitespace is obs-fold (RFC 9112 §5.2), or whitespace before the
    // first field (§2.2): both rejected.
    if (b === SP || b === HT) return fail(400, "Obsolete line folding in header field");
    if (count === limits.maxHeaders) return fail(431, "Too many header fields");

    // field-name ":" with no whitespace before the colon (RFC 9112 §5.1).
    const nameStart = p;
    while (p < end && TCHAR[buf[p]!] === 1) p++;
    if (p === end) return INCOMPLETE_HEADERS;
    const nameEnd = p;
    if (buf[p] !== COLON || nameEnd === nameStart) {
      b = buf[p]!;
      if (b === SP || b === HT) return fail(400, "Whitespace before colon in header field");
      return fail(400, "Invalid header field name");
    }
    p++;

    // OWS field-value OWS: no controls but HTAB.
    while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
    const valueStart = p;
    while (p < end && FIELD[buf[p]!] === 1) p++;
    if (p === end) return INCOMPLETE_HEADERS;
    let valueEnd = p;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) {
      valueEnd--;
    }
    b = buf[p]!;
    if (b === CR) {
      if (p + 1 === end) return INCOMPLETE_HEADERS;
      if (buf[p + 1] !== LF) return fail(400, "Bare CR in header field");
      p++;
    } else if (b !== LF) return fail(400, "Invalid character in header field value");
    p++;

    const k = 4 * count;
    if (k + 4 > fields.length) {
      const grown = new Int32Array(fields.length * 2);
      grown.set(fields);
      fields = grown;
    }
    fields[k] = nameStart - lineStart;
    fields[k + 1] = nameEnd - lineStart;
    fields[k + 2] = valueStart - lineStart;
    fields[k + 3] = valueEnd - lineStart;
    count++;
  }

  // The whole head is valid: cut the strings from one decode.
  const text = latin1(buf, lineStart, p);
  const method = text.slice(0, methodEnd - lineStart);
  if (asterisk && method !== "OPTIONS") return fail(400, "Asterisk-form target without OPTIONS");
  const target = text.slice(targetStart - lineStart, targetEnd - lineStart);
  const headers: [string, string][] = new Array(count);
  for (let i = 0; i < count; i++) {
    const k = 4 * i;
    headers[i] = [
      text.slice(fields[k]!, fields[k + 1]!).toLowerCase(),
      text.slice(fields[k + 2]!, fields[k + 3]!),
    ];
  }

  // rawPath and query split at the first "?"; for absolute-form, of the part after the authority.
  // A fragment ("#...") has no place in a request target: it is dropped, as nginx does.
  const pathStart = first === SLASH || asterisk
    ? 0
    : absolutePathStart(buf, targetStart, targetEnd);
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
    minor: version,
    headers,
  };
  return { kind: "complete", consumed: p - start, head };
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
