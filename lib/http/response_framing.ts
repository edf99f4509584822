/** How a response's body is delimited on the wire (RFC 9112 §6.3), decided before it is written. */
import { isBodiless, type Response, responseHeader } from "./response.ts";

export type ResponseFraming =
  /** No body may follow (1xx, 204, 304), or the request was HEAD: the head only. */
  | { kind: "none"; contentLength: number | null }
  /** `Content-Length` bytes. */
  | { kind: "length"; length: number }
  /** `Transfer-Encoding: chunked` (a stream of unknown length on HTTP/1.1). */
  | { kind: "chunked" }
  /** A stream of unknown length on HTTP/1.0: it ends when the connection closes. */
  | { kind: "close" };

/**
 * Decides the framing of `res` for a request of HTTP/1.`minor` (`head`: the request was HEAD).
 * Bytes and file ranges have their own length; a stream, or no body (a HEAD of a file), has the
 * declared `Content-Length` if any; a stream without one is chunked on HTTP/1.1 and
 * close-delimited on HTTP/1.0. `contentLength` of a bodiless answer is the length to announce
 * (HEAD announces the length a GET would get), or null for none.
 */
export function frameResponse(res: Response, minor: number, head: boolean): ResponseFraming {
  const body = res.body;
  let length: number | null;
  if (body instanceof Uint8Array || body?.kind === "file") length = body.length;
  else {
    const declared = responseHeader(res, "content-length");
    length = declared === undefined ? null : Number(declared);
    if (body === null) length ??= 0;
  }
  if (isBodiless(res.status)) return { kind: "none", contentLength: null };
  if (head) return { kind: "none", contentLength: length };
  if (length !== null) return { kind: "length", length };
  return minor >= 1 ? { kind: "chunked" } : { kind: "close" };
}
