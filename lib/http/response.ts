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
}

export type Body = Uint8Array | FileBody | StreamBody | null;

export interface Response {
  status: number;
  /** Header fields in order; names in their usual capitalisation. Repeats are allowed (Set-Cookie). */
  headers: [string, string][];
  /**
   * null for no body. With status >= 400, null means "an error page": the dispatcher fills it in.
   * For HEAD the connection sends the head only, whatever the body is.
   */
  body: Body;
  /** Set when the connection must close after this response. */
  close?: boolean;
  /**
   * A local URI ("/path?query") the dispatcher serves instead, as a GET (a CGI `Location: /x` without
   * Status). The rest of this response is ignored.
   */
  internalRedirect?: string;
}
