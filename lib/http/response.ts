/** The response a handler returns: only the connection turns it into bytes. */

/** A byte range of an open file, streamed by the connection, which closes the file afterwards. */
export interface FileBody {
  kind: "file";
  file: Deno.FsFile;
  /** First byte offset. */
  start: number;
  /** Number of bytes to send from `start`. */
  length: number;
}

/** A body produced piece by piece (CGI output); sent chunked on HTTP/1.1 when no length is known. */
export interface StreamBody {
  kind: "stream";
  chunks: AsyncIterable<Uint8Array>;
  /** Called when sending ends early or normally (kill a process, close a file). */
  close?: () => void;
  /**
   * True when the next piece (or the end) is there without waiting for I/O: the writer then sends
   * the head with it without first waiting a turn of the event loop to find out.
   */
  ready?: () => boolean;
}

/** What a tunnel (an upgraded connection) reads from and writes to on the client's side. */
export interface TunnelClient {
  /** The client's next bytes (those already received first), or null when it has closed. */
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
  /** Says the end of what the tunnel sends to the client. */
  closeWrite(): Promise<void>;
}

/**
 * After a 101 head, the connection stops speaking HTTP: `run` relays bytes both ways until either
 * side is done; the connection then closes.
 */
export interface TunnelBody {
  kind: "tunnel";
  run(client: TunnelClient): Promise<void>;
  /** Releases the other end when the tunnel never runs (or after it has). */
  close(): void;
}

export type Body = Uint8Array | FileBody | StreamBody | TunnelBody | null;

export interface Response {
  status: number;
  /** Header fields in order; names in their usual capitalisation. Repeats are allowed (Set-Cookie). */
  headers: [string, string][];
  /**
   * null for no body. With status >= 400, null means "an error page": the phase engine fills it
   * in. For HEAD the connection sends the head only, whatever the body is.
   */
  body: Body;
  /**
   * A local URI ("/path?query") the phase engine serves instead, as a GET (a CGI `Location: /x`
   * without Status, a script index). The rest of this response is ignored.
   */
  internalRedirect?: string;
}

/** Whether a body is a tunnel (the connection relays it instead of writing it). */
export function isTunnel(body: Body): body is TunnelBody {
  return body !== null && !(body instanceof Uint8Array) && body.kind === "tunnel";
}

/** Releases what a body holds (an open file, a running script); safe on any body. */
export function closeBody(body: Body): void {
  if (body === null || body instanceof Uint8Array) return;
  if (body.kind === "file") body.file.close();
  else body.close?.();
}

/** The first value of a response header (`lowerName` in lower case), or undefined. */
export function responseHeader(res: Response, lowerName: string): string | undefined {
  const headers = res.headers;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    if (sameName(field[0], lowerName)) return field[1];
  }
  return undefined;
}

/**
 * Whether a field name equals `lower` (lower case) ignoring ASCII case; asked on every response
 * several times (filters, framing), so without making a lower-cased copy.
 */
export function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c !== lower.charCodeAt(i) && (c < 0x41 || c > 0x5a || (c | 0x20) !== lower.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

/** Statuses that never carry a body. */
export function isBodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
