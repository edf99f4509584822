/** Turns a Response into bytes on a connection: the only place that serialises responses. */
import { httpNow } from "../http/date.ts";
import { headBytes } from "../http/head_bytes.ts";
import { closeBody, type FileBody, type Response, type StreamBody } from "../http/response.ts";
import type { ResponseFraming } from "../http/response_framing.ts";
import { reasonPhrase } from "../http/status.ts";
import { setImmediate } from "node:timers";
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
 * The bytes of a response whose header list is shared and frozen (a cached file's, see
 * file_cache.ts headersFor), kept beside that list: the head, and head and body joined when the
 * body is small, as written for one way of writing it (framing, Connection, server_tokens) during
 * one second (the Date field). A small file's answer is then one write of bytes made once a second,
 * instead of a head built, encoded and copied with its body per request. The list changes (a new
 * one is made) when the file does, and these go with it.
 */
interface Serialized {
  status: number;
  body: Uint8Array | null;
  /** The Date field it holds (httpNow() strings are made once a second). */
  date: string;
  bytes: Uint8Array;
  /** bytes holds the body too. */
  joined: boolean;
  written: Written;
}

/** Bodies up to this size are kept joined to their head (a copy of the file per variant). */
const JOIN_MAX = 16 * 1024;
const serialized = new WeakMap<readonly [string, string][], (Serialized | undefined)[]>();

/** Which of the 16 ways of writing a response these options and framing make. */
function variantOf(framing: ResponseFraming, options: WriteOptions): number {
  return (framing.kind === "none" ? 1 : 0) | (options.keepAlive ? 2 : 0) |
    (options.minor === 0 ? 4 : 0) | (options.serverTokens ? 8 : 0);
}

/** The cached bytes of a response with a frozen header list and a body in memory (or none). */
function serializedOf(
  res: Response,
  body: Uint8Array | null,
  framing: ResponseFraming,
  options: WriteOptions,
): Serialized {
  let variants = serialized.get(res.headers);
  if (variants === undefined) serialized.set(res.headers, variants = []);
  const variant = variantOf(framing, options);
  const date = httpNow();
  const known = variants[variant];
  if (known !== undefined && known.date === date && known.body === body) {
    if (known.status === res.status) return known;
  }
  const head = serializeHead(res, framing, options);
  const send = framing.kind === "none" ? null : body;
  const joined = send !== null && send.length <= JOIN_MAX;
  const bytes = joined ? join(head, send) : head;
  const sent = send?.length ?? 0;
  const made: Serialized = {
    status: res.status,
    body,
    date,
    bytes,
    joined,
    written: Object.freeze({ total: head.length + sent, body: sent }),
  };
  variants[variant] = made;
  return made;
}

/**
 * The whole answer's bytes, made once a second (see Serialized), when the response has a frozen
 * header list (a cached file's) and no body or a small one in memory; else null (writeResponse
 * builds it). Writing `bytes` and counting `written` is then all that sending it takes.
 */
export function readyAnswer(
  res: Response,
  framing: ResponseFraming,
  options: WriteOptions,
): { bytes: Uint8Array; written: Written } | null {
  const body = res.body;
  if ((body !== null && !(body instanceof Uint8Array)) || !Object.isFrozen(res.headers)) {
    return null;
  }
  const made = serializedOf(res, body, framing, options);
  return made.joined || made.written.body === 0 ? made : null;
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
  // A shared header list (a cached file's) and a body in memory: the bytes made once a second,
  // the body joined to the cached head when it was too large to be kept with it.
  if ((body === null || body instanceof Uint8Array) && Object.isFrozen(res.headers)) {
    const made = serializedOf(res, body, framing, options);
    const whole = made.joined || made.written.body === 0;
    await output(whole ? made.bytes : join(made.bytes, body!));
    return made.written;
  }
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
      await write(join(head, body));
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

/** Resolves after the event loop's next turn (its I/O included): how long a head may wait. */
const LATER = Symbol("later");
const nextTurn = () => new Promise<typeof LATER>((resolve) => setImmediate(resolve, LATER));

/** `a` and `b` in one buffer. */
function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Sends a stream's pieces as they come, chunk-encoded when asked. With a declared length, no more
 * is sent and a stream that ends short throws (the connection must close: the client counts).
 *
 * The head goes out with the first piece when that piece is ready within a turn of the event loop
 * (a proxied answer's first bytes came with its head: one write instead of two, nginx's
 * postpone_output in effect); a stream that takes longer (a script thinking, an event stream) gets
 * its head at once.
 */
async function writeStream(
  write: WriteAll,
  head: Uint8Array,
  body: StreamBody,
  chunked: boolean,
  declared: number | null,
): Promise<number> {
  const iterator = body.chunks[Symbol.asyncIterator]();
  let next = iterator.next();
  let unsent: Uint8Array | null = head;
  let done = false;
  let bytes = 0;
  try {
    if (body.ready?.() !== true && (await Promise.race([next, nextTurn()])) === LATER) {
      unsent = null;
      await write(head);
    }
    for (;;) {
      let result: IteratorResult<Uint8Array>;
      try {
        result = await next;
      } catch (e) {
        // The stream failed before its first piece: the head goes out all the same (the client
        // sees the answer cut short, as when the head went first).
        if (unsent !== null) await write(unsent);
        unsent = null;
        throw e;
      }
      if (result.done) break;
      let piece = result.value;
      next = iterator.next();
      if (declared !== null && bytes + piece.length > declared) {
        piece = piece.subarray(0, declared - bytes);
      }
      if (piece.length === 0) continue;
      bytes += piece.length;
      let out = piece;
      if (chunked) {
        const size = encoder.encode(piece.length.toString(16) + "\r\n");
        out = new Uint8Array(size.length + piece.length + 2);
        out.set(size);
        out.set(piece, size.length);
        out.set(CRLF, size.length + piece.length);
      }
      if (unsent !== null) {
        out = join(unsent, out);
        unsent = null;
      }
      await write(out);
    }
    done = true;
  } finally {
    // Stopped early (a failed write): the stream is told, as `for await` would.
    if (!done) {
      next.catch(() => {});
      await iterator.return?.()?.catch(() => {});
    }
  }
  if (declared !== null && bytes < declared) {
    if (unsent !== null) await write(unsent);
    throw new Error(`Body ended after ${bytes} of its ${declared} declared bytes`);
  }
  if (chunked) await write(unsent === null ? LAST_CHUNK : join(unsent, LAST_CHUNK));
  else if (unsent !== null) await write(unsent);
  return bytes;
}
