/**
 * How an upstream response's body is delimited (RFC 9112 §6.3), decided as strictly as nginx's
 * upstream module does: a proxy that disagrees with its upstream on where a body ends hands the
 * next client the rest of someone else's response (response splitting, desynchronisation), so
 * every doubt is an error — a 502 for the client and a closed upstream connection.
 */

import type { ResponseHead } from "./response_parser.ts";

/** The outcome of {@linkcode responseFraming}. */
export type UpstreamFraming =
  /** No body follows the head (HEAD, 1xx other than 101, 204, 304, or Content-Length: 0). */
  | { kind: "none" }
  /** Exactly `length` bytes of body. */
  | { kind: "length"; length: number }
  /** A chunked body: decode it with `ChunkedDecoder` (lib/http/chunked.ts); its errors are 502s. */
  | { kind: "chunked" }
  /** The body ends when the upstream closes the connection, which cannot be kept alive. */
  | { kind: "close" }
  /** The connection stops speaking HTTP (101, or 2xx to CONNECT): relay bytes both ways. */
  | { kind: "upgrade" }
  /** The framing is invalid or ambiguous: answer 502 and close the upstream connection. */
  | { kind: "error"; message: string };

/**
 * Decides how the body of the upstream response `head` to a `requestMethod` request is
 * delimited, RFC 9112 §6.3, with nginx's checks and wording (`ngx_http_upstream.c`):
 *
 * - A second Content-Length or Transfer-Encoding line is an error, even with the same value
 *   ("upstream sent duplicate header line"; RFC 9110 §8.6 would let equal ones be merged, nginx
 *   does not).
 * - Content-Length and Transfer-Encoding together are an error.
 * - Content-Length must be 1*DIGIT (no sign, no list such as "1, 2" or "5, 5"), at most
 *   Number.MAX_SAFE_INTEGER.
 * - Transfer-Encoding must be exactly "chunked" (any case). RFC 9112 §6.3 would make a final
 *   coding other than chunked close-delimited, but the proxy cannot decode other codings and, as
 *   a hop-by-hop field, cannot pass them on: like nginx ("upstream sent unknown
 *   \"Transfer-Encoding\""), "gzip", "chunked, identity" or "gzip, chunked" are errors.
 * - On an HTTP/1.0 response, Transfer-Encoding is an error (RFC 9112 §6.1: faulty framing; nginx
 *   accepts it), and so is a 1xx (HTTP/1.0 has none; nginx rejects 103).
 *
 * The header checks apply to every response, bodiless or not (as nginx's header handlers run
 * before the body is looked at). Then: 101, or a 2xx to CONNECT, is an upgrade; a HEAD request,
 * another 1xx (an interim response: the final head follows), 204 and 304 have no body whatever
 * their headers say; chunked; a length (0: none); otherwise close-delimited.
 */
export function responseFraming(requestMethod: string, head: ResponseHead): UpstreamFraming {
  const status = head.status;
  if (head.minor === 0 && status < 200) {
    if (status === 103) return invalid("upstream sent HTTP/1.0 response with early hints");
    return invalid(`upstream sent HTTP/1.0 response with status "${status}"`);
  }

  // The values of the Content-Length and Transfer-Encoding lines, once seen.
  let lengthValue: string | undefined;
  let codingValue: string | undefined;
  for (const [name, value] of head.headers) {
    if (name === "content-length") {
      if (lengthValue !== undefined) return duplicate(name, value, lengthValue);
      if (codingValue !== undefined) return bothFramings();
      if (!isLength(value)) {
        return invalid(`upstream sent invalid "Content-Length" header: "${name}: ${value}"`);
      }
      lengthValue = value;
    } else if (name === "transfer-encoding") {
      if (codingValue !== undefined) return duplicate(name, value, codingValue);
      if (lengthValue !== undefined) return bothFramings();
      if (value.toLowerCase() !== "chunked") {
        return invalid(`upstream sent unknown "Transfer-Encoding": "${value}"`);
      }
      if (head.minor === 0) {
        return invalid('upstream sent "Transfer-Encoding" in an HTTP/1.0 response');
      }
      codingValue = value;
    }
  }

  // The connection stops being HTTP (RFC 9110 §15.2.2; RFC 9112 §6.3, item 2).
  if (status === 101 || (requestMethod === "CONNECT" && status >= 200 && status < 300)) {
    return UPGRADE;
  }
  // No body, whatever the headers say (RFC 9112 §6.3, item 1).
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304) return NONE;
  if (codingValue !== undefined) return CHUNKED;
  if (lengthValue !== undefined) {
    const n = Number(lengthValue);
    return n === 0 ? NONE : { kind: "length", length: n };
  }
  return CLOSE;
}

/** The fields that describe one hop, never passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/**
 * The lower-case names of the fields of `headers` (names lower-case, as the parser gives them)
 * that a proxy drops when it passes a response on: the hop-by-hop fields of RFC 9110 §7.6.1 —
 * Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade — and every
 * name listed in Connection (any case, any number of lines). The proxy frames its own response:
 * a Content-Length listed in Connection is dropped like any other.
 */
export function hopByHop(headers: readonly (readonly [string, string])[]): Set<string> {
  const names = new Set(HOP_BY_HOP);
  for (const option of connectionOptions(headers) ?? []) names.add(option);
  return names;
}

/**
 * The names the Connection lines of `headers` list (lower case), or null when they list none.
 * Asked of every upstream answer, so nothing is made for the usual `Connection: keep-alive`.
 */
export function connectionOptions(
  headers: readonly (readonly [string, string])[],
): Set<string> | null {
  let names: Set<string> | null = null;
  for (const [name, value] of headers) {
    if (name !== "connection") continue;
    for (const element of value.split(",")) {
      const option = trimOws(element).toLowerCase();
      if (option !== "" && !HOP_BY_HOP_NAMES.has(option)) (names ??= new Set()).add(option);
    }
  }
  return names;
}

const HOP_BY_HOP_NAMES: ReadonlySet<string> = new Set(HOP_BY_HOP);

const NONE: UpstreamFraming = Object.freeze({ kind: "none" });
const CHUNKED: UpstreamFraming = Object.freeze({ kind: "chunked" });
const CLOSE: UpstreamFraming = Object.freeze({ kind: "close" });
const UPGRADE: UpstreamFraming = Object.freeze({ kind: "upgrade" });

function invalid(message: string): UpstreamFraming {
  return { kind: "error", message };
}

function duplicate(name: string, value: string, previous: string): UpstreamFraming {
  return invalid(
    `upstream sent duplicate header line: "${name}: ${value}", previous value: "${name}: ${previous}"`,
  );
}

function bothFramings(): UpstreamFraming {
  return invalid('upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time');
}

/** True for 1*DIGIT of a value up to Number.MAX_SAFE_INTEGER. */
function isLength(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  // Exact up to MAX_SAFE_INTEGER; anything larger converts to at least 2 ** 53.
  return Number(s) <= Number.MAX_SAFE_INTEGER;
}

/** Removes SP and HTAB from both ends (String#trim would also take U+00A0, a latin1 byte). */
function trimOws(s: string): string {
  let from = 0;
  let to = s.length;
  while (from < to && (s.charCodeAt(from) === 0x20 || s.charCodeAt(from) === 0x09)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 0x20 || s.charCodeAt(to - 1) === 0x09)) to--;
  return from === 0 && to === s.length ? s : s.slice(from, to);
}
