/** Whether a connection stays open after a response: one rule, decided once per response. */
import type { RequestHead } from "./request.ts";

/** HTTP/1.1 stays open unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive". */
export function wantsKeepAlive(head: RequestHead): boolean {
  let close = false;
  let keep = false;
  for (const [name, value] of head.headers) {
    if (name !== "connection") continue;
    for (const token of value.toLowerCase().split(",")) {
      const t = token.trim();
      if (t === "close") close = true;
      else if (t === "keep-alive") keep = true;
    }
  }
  return !close && (head.minor >= 1 || keep);
}

/** What is left of the request body once the answer is ready. */
export type BodyLeft =
  /** Nothing: read to its end, or there was none. */
  | "none"
  /** Unread, but small enough to read and drop after the response. */
  | "discardable"
  /** Unread and too large or of unknown size, or the client waits for "100 Continue". */
  | "unread";

export interface KeepAliveFacts {
  /** The request, or null when its head could not be parsed. */
  head: RequestHead | null;
  /** The connection may serve another request (keepalive_requests not reached). */
  another: boolean;
  /** keepalive_timeout of the location that answered; 0 turns keep-alive off. */
  keepaliveTimeout: number;
  /** The server is shutting down or reloading. */
  draining: boolean;
  status: number;
  bodyLeft: BodyLeft;
  /** The response body ends when the connection closes (a stream on HTTP/1.0). */
  closeDelimited: boolean;
}

/**
 * Statuses after which the rest of the stream cannot be trusted, or holds a body too large to
 * read: a bad request, a timeout, a body over the limit, a head over the limits, an unknown method.
 */
const CLOSING = new Set([400, 408, 413, 414, 431, 501]);

/** Whether the connection may read another request after this response. */
export function keepAliveAfter(facts: KeepAliveFacts): boolean {
  return facts.head !== null && facts.another && wantsKeepAlive(facts.head) &&
    facts.keepaliveTimeout > 0 && !facts.draining && !CLOSING.has(facts.status) &&
    facts.bodyLeft !== "unread" && !facts.closeDelimited;
}
