/** A parsed request head and the request as handlers see it. */

/** What the incremental parser returns once the whole head has arrived. */
export interface RequestHead {
  /** As sent: a token, case-sensitive ("GET"). */
  method: string;
  /** The request-target exactly as sent ("/a%20b?x=1"). */
  target: string;
  /** The path part of the target before "?", still percent-encoded. */
  rawPath: string;
  /** What follows the first "?" (without it), or "" when there is none. */
  query: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x). */
  minor: number;
  /** Header fields in order, names lower-cased, values trimmed of surrounding spaces/tabs. */
  headers: [name: string, value: string][];
}

/** How the request body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** The decoded request body, pulled from the connection on demand. */
export interface BodyReader {
  /** Declared length, or null for a chunked body. */
  readonly length: number | null;
  /**
   * The next piece of decoded body, or null at its end. The returned bytes are only valid until
   * the next call (copy them to keep them). Throws HttpError (400 bad chunk, 408 timeout,
   * 413 over client_max_body_size) or a Deno error when the client goes away.
   */
  read(): Promise<Uint8Array | null>;
}

/** Returns the first value of a header (names are lower-case), or undefined. */
export function getHeader(head: RequestHead, name: string): string | undefined {
  for (const [n, v] of head.headers) if (n === name) return v;
  return undefined;
}
