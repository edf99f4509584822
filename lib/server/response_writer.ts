/** Turns a Response into bytes on a connection: the only place that serialises responses. */
import { httpNow } from "../http/date.ts";
import { headBytes } from "../http/head_bytes.ts";
import { closeBody, type FileBody, type Response, type StreamBody } from "../http/response.ts";
import type { ResponseFraming } from "../http/response_framing.ts";
import { reasonPhrase } from "../http/status.ts";
import { SERVER_NAME, VERSION } from "../version.ts";

/** Writes every byte it is given, or throws. */
export type WriteAll = (bytes: Uint8Array) => Promise<void>;

const encoder = new TextEncoder();
const FILE_CHUNK = 256 * 1024;
const bufferPool: Uint8Array[] = [];
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
// deno-lint-ignore no-control-regex
const UNSAFE_VALUE = /[\r\n\x00]/;

/** `Server:` with the version (`server_tokens on`, nginx's default) or without. */
const SERVER_FIELDS = {
  on: `Server: ${SERVER_NAME}/${VERSION}\r\n`,
  off: `Server: ${SERVER_NAME}\r\n`,
};

/** How a response is written besides its framing. */
export interface WriteOptions {
  /** The `Connection` field: close, or keep-alive (said on HTTP/1.0 only). */
  keepAlive: boolean;
  minor: number;
  /** `server_tokens`: the Server field names the version. */
  serverTokens: boolean;
}

/** The status line and header fields; Content-Length and Transfer-Encoding come from `framing`. */
function serializeHead(res: Response, framing: ResponseFraming, options: WriteOptions) {
  const { keepAlive, minor } = options;
  let fields = "";
  // A Server or Date of the response's own (a proxied answer's, with proxy_pass_header) replaces
  // the writer's.
  let server = true;
  let date = true;
  for (const [name, value] of res.headers) {
    // A value with CR/LF would split the response: such a header is dropped. The framing fields
    // are the writer's own.
    if (UNSAFE_VALUE.test(value) || isFramingField(name)) continue;
    if (name.length === 6 && name.toLowerCase() === "server") server = false;
    else if (name.length === 4 && name.toLowerCase() === "date") date = false;
    fields += name + ": " + value + "\r\n";
  }
  let head = `HTTP/1.1 ${res.status} ${reasonPhrase(res.status)}\r\n` +
    (server ? SERVER_FIELDS[options.serverTokens ? "on" : "off"] : "") +
    (date ? `Date: ${httpNow()}\r\n` : "") + fields;
  if (framing.kind === "length") head += `Content-Length: ${framing.length}\r\n`;
  else if (framing.kind === "none" && framing.contentLength !== null) {
    head += `Content-Length: ${framing.contentLength}\r\n`;
  } else if (framing.kind === "chunked") head += "Transfer-Encoding: chunked\r\n";
  // A 101 names its own Connection and Upgrade fields.
  if (res.status === 101) return headBytes(head + "\r\n");
  if (!keepAlive) head += "Connection: close\r\n";
  else if (minor === 0) head += "Connection: keep-alive\r\n";
  return headBytes(head + "\r\n");
}

function isFramingField(name: string): boolean {
  const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : "";
  return lower === "content-length" || lower === "transfer-encoding";
}

/** What was sent of a response, for the access log. */
export interface Written {
  /** Every byte written: the head, the body, and the body's chunk framing. */
  total: number;
  /** The body's bytes (without chunk framing). */
  body: number;
}

/**
 * Sends a response framed as decided; `keepAlive` only chooses the `Connection` field. Returns
 * what was sent. Closes file and stream bodies whatever happens.
 */
export async function writeResponse(
  output: WriteAll,
  res: Response,
  framing: ResponseFraming,
  options: WriteOptions,
): Promise<Written> {
  const body = res.body;
  let total = 0;
  const write: WriteAll = (bytes) => {
    total += bytes.length;
    return output(bytes);
  };
  try {
    const head = serializeHead(res, framing, options);
    const sent = (bytes: number): Written => ({ total, body: bytes });
    if (body === null || framing.kind === "none") {
      await write(head);
      return sent(0);
    }
    if (body instanceof Uint8Array) {
      const out = new Uint8Array(head.length + body.length);
      out.set(head);
      out.set(body, head.length);
      await write(out);
      return sent(body.length);
    }
    if (body.kind === "file") return sent(await writeFile(write, head, body));
    if (body.kind === "tunnel") throw new Error("A tunnel's head is written by the connection");
    const declared = framing.kind === "length" ? framing.length : null;
    return sent(await writeStream(write, head, body, framing.kind === "chunked", declared));
  } finally {
    closeBody(body);
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
