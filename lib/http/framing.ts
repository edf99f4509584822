/**
 * How a request body is delimited (RFC 9112 §6.3), decided strictly: any doubt about where the
 * body ends is an error, because two parties that disagree on it can be made to see different
 * requests (request smuggling).
 */

import type { BodyFraming, RequestHead } from "./request.ts";

/** The error {@linkcode bodyFraming} answers, with the status to send. */
export interface FramingError {
  kind: "error";
  status: number;
  message: string;
}

/**
 * Decides how the body of a request is delimited, RFC 9112 §6.3.
 *
 * - Transfer-Encoding (all its lines and list elements, case-insensitive) must be exactly
 *   "chunked": chunked anywhere but last → 400; any other coding → 501 (none is implemented);
 *   on HTTP/1.0 → 400 (§6.1: faulty framing); with Content-Length as well → 400.
 * - Content-Length (all its lines and list elements) must be 1*DIGIT, all identical and at most
 *   Number.MAX_SAFE_INTEGER, else 400; 0 means no body.
 * - Neither: no body.
 */
export function bodyFraming(head: RequestHead): BodyFraming | FramingError {
  let codings: string[] | undefined;
  let length: string | undefined;
  let lengthLines = 0;
  for (const [name, value] of head.headers) {
    if (name === "transfer-encoding") {
      codings ??= [];
      for (const element of value.split(",")) {
        const coding = trimOws(element).toLowerCase();
        if (coding !== "") codings.push(coding);
      }
    } else if (name === "content-length") {
      lengthLines++;
      for (const element of value.split(",")) {
        const digits = trimOws(element);
        if (!isDigits(digits)) return invalid(400, "Invalid Content-Length");
        if (length !== undefined && digits !== length) {
          return invalid(400, "Conflicting Content-Length values");
        }
        length = digits;
      }
    }
  }

  if (codings !== undefined) {
    // Faulty framing on HTTP/1.0 (RFC 9112 §6.1), or a desync waiting to happen with CL.
    if (head.minor === 0) return invalid(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (lengthLines > 0) return invalid(400, "Both Transfer-Encoding and Content-Length");
    if (codings.length === 0) return invalid(400, "Empty Transfer-Encoding");
    // chunked must be the final coding, applied once (RFC 9112 §6.3, item 4).
    const last = codings.length - 1;
    for (let i = 0; i < last; i++) {
      if (codings[i] === "chunked") return invalid(400, "Transfer-Encoding chunked is not last");
    }
    if (last > 0 || codings[0] !== "chunked") return invalid(501, "Unsupported transfer coding");
    return { kind: "chunked" };
  }

  if (length === undefined) return NONE;
  // Exact up to MAX_SAFE_INTEGER; anything larger converts to at least 2 ** 53.
  const n = Number(length);
  if (n > Number.MAX_SAFE_INTEGER) return invalid(400, "Invalid Content-Length");
  return n === 0 ? NONE : { kind: "length", length: n };
}

const NONE: BodyFraming = Object.freeze({ kind: "none" });

function invalid(status: number, message: string): FramingError {
  return { kind: "error", status, message };
}

/** True for 1*DIGIT. */
function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Removes SP and HTAB from both ends (String#trim would also take U+00A0, a latin1 byte). */
function trimOws(s: string): string {
  let from = 0;
  let to = s.length;
  while (from < to && (s.charCodeAt(from) === 0x20 || s.charCodeAt(from) === 0x09)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 0x20 || s.charCodeAt(to - 1) === 0x09)) to--;
  return from === 0 && to === s.length ? s : s.slice(from, to);
}
