/** Turns a handler's Response into bytes on a connection: the only place that serialises responses. */
import { httpNow } from "../http/date.ts";
import type { FileBody, Response, StreamBody } from "../http/response.ts";
import { reasonPhrase } from "../http/status.ts";
import { SERVER_NAME } from "../version.ts";

/** Writes every byte it is given, or throws. */
export type WriteAll = (bytes: Uint8Array) => Promise<void>;

export interface WriteOptions {
  /** The request was HEAD: send the head only. */
  head: boolean;
  /** The connection may stay open after this response. */
  keepAlive: boolean;
  /** The request's HTTP minor version (0 or 1). */
  minor: number;
}

export interface WriteResult {
  /** Body bytes sent (for the access log). */
  bytes: number;
  /** Whether the connection may stay open (a close-delimited body ends it). */
  keepAlive: boolean;
}

const encoder = new TextEncoder();
const FILE_CHUNK = 256 * 1024;
const bufferPool: Uint8Array[] = [];
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
// deno-lint-ignore no-control-regex
const UNSAFE_VALUE = /[\r\n\x00]/;

/** Statuses that never carry a body. */
function bodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

function serializeHead(res: Response, extra: string): string {
  let head = `HTTP/1.1 ${res.status} ${reasonPhrase(res.status)}\r\nServer: ${SERVER_NAME}\r\n` +
    `Date: ${httpNow()}\r\n`;
  for (const [name, value] of res.headers) {
    // A value with CR/LF would split the response: such a header is dropped.
    if (!UNSAFE_VALUE.test(value)) head += name + ": " + value + "\r\n";
  }
  return head + extra + "\r\n";
}

function headerValue(res: Response, lowerName: string): string | undefined {
  for (const [name, value] of res.headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

function hasHeader(res: Response, lowerName: string): boolean {
  return headerValue(res, lowerName) !== undefined;
}

/** Sends a response; closes file and stream bodies whatever happens. */
export async function writeResponse(
  write: WriteAll,
  res: Response,
  opts: WriteOptions,
): Promise<WriteResult> {
  const body = res.body;
  try {
    let keepAlive = opts.keepAlive && !res.close;
    let extra = "";
    const sendBody = !opts.head && !bodiless(res.status);
    let chunked = false;
    let length = 0;
    if (body instanceof Uint8Array) length = body.length;
    else if (body?.kind === "file") length = body.length;
    if (body === null || body instanceof Uint8Array || body.kind === "file") {
      if (!bodiless(res.status) && !hasHeader(res, "content-length")) {
        extra += `Content-Length: ${length}\r\n`;
      }
    } else if (!hasHeader(res, "content-length") && !bodiless(res.status)) {
      // A stream of unknown length: chunked on HTTP/1.1, ended by closing on HTTP/1.0.
      if (opts.minor >= 1) {
        chunked = true;
        extra += "Transfer-Encoding: chunked\r\n";
      } else if (sendBody) {
        keepAlive = false;
      }
    }
    if (!keepAlive) extra += "Connection: close\r\n";
    else if (opts.minor === 0) extra += "Connection: keep-alive\r\n";
    const head = encoder.encode(serializeHead(res, extra));
    if (body === null || !sendBody) {
      await write(head);
      return { bytes: 0, keepAlive };
    }
    if (body instanceof Uint8Array) {
      const out = new Uint8Array(head.length + body.length);
      out.set(head);
      out.set(body, head.length);
      await write(out);
      return { bytes: body.length, keepAlive };
    }
    if (body.kind === "file") {
      return { bytes: await writeFile(write, head, body), keepAlive };
    }
    const declared = headerValue(res, "content-length");
    const bytes = await writeStream(write, head, body, chunked, declared ? Number(declared) : null);
    return { bytes, keepAlive };
  } finally {
    if (body !== null && !(body instanceof Uint8Array)) {
      if (body.kind === "file") body.file.close();
      else body.close?.();
    }
  }
}

/** Streams a file range through one pooled 256 KiB buffer, the head in the first write. */
async function writeFile(write: WriteAll, head: Uint8Array, body: FileBody): Promise<number> {
  const buf = bufferPool.pop() ?? new Uint8Array(FILE_CHUNK);
  try {
    if (body.start > 0) await body.file.seek(body.start, Deno.SeekMode.Start);
    let filled = 0;
    if (head.length <= buf.length) {
      buf.set(head);
      filled = head.length;
    } else {
      await write(head);
    }
    let left = body.length;
    while (left > 0) {
      const room = Math.min(buf.length - filled, left);
      const n = await body.file.read(buf.subarray(filled, filled + room));
      if (n === null) throw new Error("File ended before its length was sent");
      filled += n;
      left -= n;
      if (filled === buf.length || left === 0) {
        await write(buf.subarray(0, filled));
        filled = 0;
      }
    }
    if (filled > 0) await write(buf.subarray(0, filled));
    return body.length;
  } finally {
    if (bufferPool.length < 64) bufferPool.push(buf);
  }
}

/**
 * Sends a stream's pieces as they come, chunk-encoded when asked. With a declared length, no more
 * is sent and a stream that ends short throws (the connection must close: the client counts).
 */
async function writeStream(
  write: WriteAll,
  head: Uint8Array,
  body: StreamBody,
  chunked: boolean,
  declared: number | null,
): Promise<number> {
  await write(head);
  let bytes = 0;
  for await (let piece of body.chunks) {
    if (declared !== null && bytes + piece.length > declared) {
      piece = piece.subarray(0, declared - bytes);
    }
    if (piece.length === 0) continue;
    bytes += piece.length;
    if (!chunked) {
      await write(piece);
      continue;
    }
    const size = encoder.encode(piece.length.toString(16) + "\r\n");
    const out = new Uint8Array(size.length + piece.length + 2);
    out.set(size);
    out.set(piece, size.length);
    out.set(CRLF, size.length + piece.length);
    await write(out);
  }
  if (declared !== null && bytes < declared) {
    throw new Error(`Body ended after ${bytes} of its ${declared} declared bytes`);
  }
  if (chunked) await write(LAST_CHUNK);
  return bytes;
}
