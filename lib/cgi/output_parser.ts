/** Incremental parser of the header block a CGI script writes before its body (RFC 3875 §6). */

/** The parsed header block. */
export interface CgiHead {
  /** From `Status:`, else 302 for a client redirect, else 200. */
  status: number;
  /** Header fields in order, as sent (repeats such as Set-Cookie kept), without Status. */
  headers: [string, string][];
  /** A local URI ("/path?q") for `Location: /path` without Status: the server serves it instead. */
  internalRedirect?: string;
}

/** One of three outcomes, as for the request parser. */
export type CgiParseResult =
  | { kind: "incomplete" }
  | { kind: "complete"; head: CgiHead; rest: Uint8Array }
  | { kind: "error"; status: number; message: string };

/** The default bound on the header block. */
export const MAX_CGI_HEADER_BYTES = 64 * 1024;

/** What a document response without Content-Type is sent as (see CgiOutputParser). */
export const DEFAULT_CGI_CONTENT_TYPE = "text/plain";

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS = /^([1-5][0-9][0-9])(?:[ \t]+.*)?$/;
const DIGITS = /^[0-9]{1,15}$/;
/** Fields that describe one hop: the connection sets its own framing and persistence. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "upgrade"]);

const utf8 = new TextDecoder();

/**
 * Feeds on stdout chunks until the empty line that ends the header block. Lines end in LF or
 * CRLF. A line without a colon, a name that is not a token, an invalid Status, conflicting
 * Content-Length values, no field at all, or more than `maxBytes` before the end is an error
 * (502). A response without Content-Type and without Location gets `Content-Type: text/plain`
 * (lenient where RFC 3875 says the document response must have one; php-cgi always sends one).
 * Hop-by-hop fields (Connection, Transfer-Encoding, ...) are dropped. `rest` is a copy of the
 * bytes after the header block: the chunks may be reused by the caller.
 */
export class CgiOutputParser {
  #buf: Uint8Array;
  #len = 0;
  /** Start of the line being scanned in #buf. */
  #lineStart = 0;
  /** Where the LF search resumes. */
  #scan = 0;
  #fields: [string, string][] = [];
  #done = false;

  constructor(private readonly maxBytes = MAX_CGI_HEADER_BYTES) {
    this.#buf = new Uint8Array(Math.min(4096, maxBytes));
  }

  /** Adds the next stdout chunk and says whether the header block is complete. */
  push(chunk: Uint8Array): CgiParseResult {
    if (this.#done) throw new Error("CGI header block is already parsed");
    const room = this.maxBytes - this.#len;
    // Only what can still belong to the header block is copied; the rest is the body or too much.
    const take = chunk.subarray(0, Math.min(chunk.length, room));
    this.#append(take);
    const buf = this.#buf;
    while (this.#scan < this.#len) {
      const lf = buf.subarray(this.#scan, this.#len).indexOf(LF);
      if (lf < 0) {
        this.#scan = this.#len;
        break;
      }
      const end = this.#scan + lf;
      const lineEnd = end > this.#lineStart && buf[end - 1] === CR ? end - 1 : end;
      this.#scan = end + 1;
      if (lineEnd === this.#lineStart) {
        // The empty line: the body starts after it, in this buffer and the rest of the chunk.
        this.#done = true;
        const restInBuf = buf.subarray(end + 1, this.#len);
        const rest = new Uint8Array(restInBuf.length + chunk.length - take.length);
        rest.set(restInBuf);
        rest.set(chunk.subarray(take.length), restInBuf.length);
        return this.#finish(rest);
      }
      const line = utf8.decode(buf.subarray(this.#lineStart, lineEnd));
      this.#lineStart = end + 1;
      const error = this.#addField(line);
      if (error !== null) return fail(error);
    }
    if (this.#len >= this.maxBytes) {
      return fail(`CGI header block is longer than ${this.maxBytes} bytes`);
    }
    return { kind: "incomplete" };
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#len + bytes.length;
    if (needed > this.#buf.length) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(needed, this.#buf.length * 2)));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = needed;
  }

  /** Records one "Name: value" line; returns an error message or null. */
  #addField(line: string): string | null {
    const colon = line.indexOf(":");
    if (colon < 0) return `Malformed CGI header line "${clip(line)}"`;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return `Invalid CGI header name "${clip(name)}"`;
    this.#fields.push([name, line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "")]);
    return null;
  }

  #finish(rest: Uint8Array): CgiParseResult {
    if (this.#fields.length === 0) return fail("CGI response has no header fields");
    let status: number | null = null;
    let location: string | null = null;
    let contentLength: string | null = null;
    let contentType = false;
    const headers: [string, string][] = [];
    for (const [name, value] of this.#fields) {
      const lower = name.toLowerCase();
      if (lower === "status") {
        const m = STATUS.exec(value);
        if (m === null || status !== null) return fail(`Invalid CGI Status "${clip(value)}"`);
        status = Number(m[1]);
        continue;
      }
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === "location") location = value;
      if (lower === "content-type") contentType = true;
      if (lower === "content-length") {
        if (!DIGITS.test(value) || (contentLength !== null && contentLength !== value)) {
          return fail(`Invalid CGI Content-Length "${clip(value)}"`);
        }
        // Repeats of one value are sent once.
        if (contentLength !== null) continue;
        contentLength = value;
      }
      headers.push([name, value]);
    }
    // `Location: /local` without Status: a local redirect, served by the server (§6.2.2).
    if (
      location !== null && status === null && location.startsWith("/") && !location.startsWith("//")
    ) {
      return {
        kind: "complete",
        head: { status: 200, headers: [], internalRedirect: location },
        rest,
      };
    }
    // `Location: http://…` without Status: a client redirect (§6.2.3).
    if (location !== null && status === null) status = 302;
    status ??= 200;
    if (!contentType && location === null && status !== 204 && status !== 304) {
      headers.push(["Content-Type", DEFAULT_CGI_CONTENT_TYPE]);
    }
    return { kind: "complete", head: { status, headers }, rest };
  }
}

function fail(message: string): CgiParseResult {
  return { kind: "error", status: 502, message };
}

/** Keeps a quoted value short in messages. */
function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 60) + "…" : s;
}
