/**
 * gzip and brotli on the fly (nginx's gzip filter, ngx_brotli's): a 200, 403 or 404 of an
 * eligible type, long enough, to a client whose `Accept-Encoding` takes br or gzip (br first
 * when both are allowed; `q=0` refuses; never 406: identity instead), goes out compressed with
 * `Content-Encoding`, a weak ETag, no `Accept-Ranges` and no `Content-Length` unless the whole
 * body was in memory (a HEAD gets the same fields, and no body). Never: other statuses (a Range's
 * 206, made by the range filter before this one, stays of the uncompressed bytes), a body that
 * declares its encoding, a type that is compressed already, a client `gzip_disable` names,
 * HTTP/1.0 under `gzip_http_version 1.1`, a request through a proxy unless `gzip_proxied`
 * allows it. Bodies in memory are compressed once
 * per body (the file cache's bytes: once per file version); streams in pieces, with back-pressure.
 */
import type { LocationConfig } from "../config/types.ts";
import type { CompressedCache } from "../compression/cache.ts";
import { type Coding, compressStream } from "../compression/compress.ts";
import { compressionAllowed, preferredCoding } from "../compression/client.ts";
import {
  type Body,
  type FileBody,
  isTunnel,
  type Response,
  responseHeader,
} from "../http/response.ts";
import type { Filter, RequestContext } from "../phases/context.ts";

/** Statuses nginx compresses. */
const STATUSES = new Set([200, 403, 404]);
/** Types whose bytes are compressed already: never again, whatever `*_types` says. */
const COMPRESSED_TYPES =
  /^(image\/(?!svg\+xml)|video\/|audio\/|font\/woff2?$|application\/(zip|gzip|x-gzip|x-bzip2|x-xz|zstd|x-7z-compressed|x-rar-compressed|vnd\.rar)$)/;
const FILE_PIECE = 64 * 1024;
/** A HEAD's body: nothing, of no known length (its GET's compressed length is not known). */
const noBody = (): Body => ({ kind: "stream", chunks: (async function* () {})() });

export const compressionFilter: Filter = (ctx, res) =>
  !ctx.location.gzip && !ctx.location.brotli ? res : compress(ctx, res);

async function compress(ctx: RequestContext, res: Response): Promise<Response> {
  const location = ctx.location;
  // HEAD gets the fields its GET would get (as nginx's); no body is compressed for it.
  const head = ctx.head.method === "HEAD";
  if (!STATUSES.has(res.status) || !(head ? !isTunnel(res.body) : compressible(res.body))) {
    return res;
  }
  if (responseHeader(res, "content-encoding") !== undefined) return res;
  const type = mediaType(res);
  if (type === null || COMPRESSED_TYPES.test(type)) return res;
  const length = knownLength(res);
  const offered: Coding[] = [];
  if (eligible(location, "br", type, length)) offered.push("br");
  if (eligible(location, "gzip", type, length)) offered.push("gzip");
  if (offered.length === 0) return res;
  // From here the answer depends on Accept-Encoding, compressed or not (gzip_vary says so).
  const headers: [string, string][] = location.gzipVary
    ? [...res.headers, ["Vary", "Accept-Encoding"]]
    : res.headers;
  // (res.headers may be a shared, frozen list: it is never changed in place.)
  const identity = { ...res, headers };
  if (!compressionAllowed(ctx.head, location, res)) return identity;
  const encoding = preferredCoding(ctx.head, offered);
  if (encoding === null) return identity;
  const level = encoding === "br" ? location.brotliCompLevel : location.gzipCompLevel;
  const body = head
    ? noBody()
    : await compressedBody(ctx.services.compressed, res.body!, encoding, level);
  const out: [string, string][] = [];
  for (const [name, value] of headers) {
    if (/^(content-length|accept-ranges)$/i.test(name)) continue;
    out.push([name, /^etag$/i.test(name) ? weakEtag(value) : value]);
  }
  out.push(["Content-Encoding", encoding]);
  return { ...res, headers: out, body };
}

/** A body that can be compressed: bytes, a file range or a stream (not none, not a tunnel). */
function compressible(body: Body): boolean {
  if (body === null || isTunnel(body)) return false;
  return !(body instanceof Uint8Array) || body.length > 0;
}

/** The response's type without parameters, lower-cased, or null without one. */
function mediaType(res: Response): string | null {
  const value = responseHeader(res, "content-type");
  if (value === undefined) return null;
  return value.split(";", 1)[0]!.trim().toLowerCase();
}

function knownLength(res: Response): number | null {
  const body = res.body;
  if (body instanceof Uint8Array || (body !== null && body.kind === "file")) return body.length;
  const declared = responseHeader(res, "content-length");
  return declared === undefined ? null : Number(declared);
}

function eligible(
  location: LocationConfig,
  coding: Coding,
  type: string,
  length: number | null,
): boolean {
  const [on, types, minLength] = coding === "br"
    ? [location.brotli, location.brotliTypes, location.brotliMinLength]
    : [location.gzip, location.gzipTypes, location.gzipMinLength];
  if (!on || !(types.includes(type) || types.includes("*"))) return false;
  return length === null || length >= minLength;
}

function weakEtag(etag: string): string {
  return etag.startsWith("W/") ? etag : `W/${etag}`;
}

async function compressedBody(
  cache: CompressedCache,
  body: NonNullable<Body>,
  encoding: Coding,
  level: number,
): Promise<Body> {
  if (body instanceof Uint8Array) return await cache.get(body, encoding, level);
  if (body.kind === "tunnel") return body;
  const source = body.kind === "file" ? fileChunks(body) : body.chunks;
  const close = body.kind === "file" ? () => body.file.close() : body.close;
  return { kind: "stream", chunks: compressStream(source, encoding, level), close };
}

/** A file range read piece by piece (each piece consumed before the next read). */
async function* fileChunks(body: FileBody): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(Math.min(FILE_PIECE, Math.max(body.length, 1)));
  if (body.start > 0) await body.file.seek(body.start, Deno.SeekMode.Start);
  for (let left = body.length; left > 0;) {
    const n = await body.file.read(buf.subarray(0, Math.min(buf.length, left)));
    if (n === null) throw new Error("File ended before its length was read");
    left -= n;
    yield buf.subarray(0, n);
  }
}
