/**
 * Serves files and directories under a location's root or alias (nginx's static and index
 * modules). Conditional requests and ranges are the filters' work: this handler answers 200.
 */
import { errorPageBody } from "../http/error_pages.ts";
import type { Response, StreamBody } from "../http/response.ts";
import type { ContentHandler, RequestContext } from "../phases/context.ts";
import { mapToFile } from "../routing/resolve_path.ts";
import { encodePath } from "../http/uri_encode.ts";
import { fsErrorStatus } from "../files/fs_errors.ts";
import { requestError } from "../log/request_error.ts";
import { type Precompressed, precompressed } from "./precompressed.ts";
import { renderAutoindex } from "./autoindex.ts";
import {
  type CachedFile,
  type CacheEntry,
  type FileCache,
  fileEntry,
  headersFor,
} from "../files/file_cache.ts";

/**
 * Answers GET and HEAD from the file system (other methods get 405): files with their validators;
 * a directory without its slash is redirected, one with it serves its first `index` file, else a
 * listing when `autoindex` is on, else 403. Small files come from memory (the FileCache of the
 * configuration). Never declines.
 */
export const staticHandler: ContentHandler = (ctx) => {
  const method = ctx.head.method;
  // Only GET and HEAD read files.
  if (method !== "GET" && method !== "HEAD") {
    return { status: 405, headers: [["Allow", "GET, HEAD"]], body: null };
  }
  const cache = ctx.services.files;
  const file = mapToFile(ctx.path, ctx.location);
  // A path that would leave the root or alias names nothing here.
  if (file === null) return error(404);
  // A file fresh in the cache is answered without a promise when it needs no I/O (serveFile).
  const entry = cache.peek(file);
  if (entry?.kind === "file") return serveFile(ctx, file, entry, cache);
  return serveEntry(ctx, file, entry ?? cache.get(file), cache);
};

/** The rest of staticHandler: what the cache holds for the path, once it is known. */
async function serveEntry(
  ctx: RequestContext,
  file: string,
  known: CacheEntry | Promise<CacheEntry>,
  cache: FileCache,
): Promise<Response> {
  const entry = await known;
  // Missing, not a regular file, or under a file ("/a.txt/x"): 404 (unless a compressed twin of
  // it is there: gzip_static); unreadable: 403.
  if (entry.kind === "error") {
    const { twin } = entry.status === 404 ? await precompressed(ctx, file, cache) : { twin: null };
    return twin === null ? error(entry.status) : serveTwin(ctx, file, twin, cache, false);
  }
  if (entry.kind === "file") return serveFile(ctx, file, entry, cache);
  // A directory without its slash: redirect, so that relative links inside it work.
  if (!ctx.path.endsWith("/")) return redirect(encodePath(ctx.path) + "/" + queryOf(ctx));
  const dir = file.endsWith("/") ? file : file + "/";
  // The first index file that exists is served as if it had been requested.
  for (const name of ctx.location.index) {
    const indexPath = dir + name;
    const index = cache.peek(indexPath) ?? await cache.get(indexPath);
    // An index that exists but cannot be read is 403, as in nginx; a missing one is skipped.
    if (index.kind === "error" && index.status === 403) return error(403);
    if (index.kind !== "file") continue;
    // A script index ("index.php") goes back to the engine so that CGI runs it.
    if (isCgi(name, ctx)) {
      return {
        status: 200,
        headers: [],
        body: null,
        internalRedirect: encodePath(ctx.path + name) + queryOf(ctx),
      };
    }
    return serveFile(ctx, indexPath, index, cache);
  }
  // No index: a listing if allowed, else 403, logged like nginx.
  if (!ctx.location.autoindex) {
    ctx.services.log.log("error", requestError(ctx, `directory index of "${dir}" is forbidden`));
    return error(403);
  }
  let body: Uint8Array | StreamBody;
  try {
    body = await renderAutoindex(ctx.path, dir);
  } catch (e) {
    const status = fsErrorStatus(e);
    if (status === null) throw e;
    return error(status);
  }
  return { status: 200, headers: [["Content-Type", "text/html; charset=utf-8"]], body };
}

/** "?query", or "" without one. */
function queryOf(ctx: RequestContext): string {
  return ctx.head.query === "" ? "" : "?" + ctx.head.query;
}

/**
 * Answers a regular file with a 200 (the filters make it a 304 or 206 where asked). Synchronous
 * for a file in memory (or a HEAD) when no compressed twin is looked for.
 */
function serveFile(
  ctx: RequestContext,
  path: string,
  entry: CachedFile,
  cache: FileCache,
): Response | Promise<Response> {
  const { gzipStatic, brotliStatic } = ctx.location;
  if (gzipStatic === "off" && brotliStatic === "off") return serveOriginal(ctx, path, entry, cache);
  return serveFileOrTwin(ctx, path, entry, cache);
}

/** serveFile with gzip_static or brotli_static on: the twin when there is one to serve. */
async function serveFileOrTwin(
  ctx: RequestContext,
  path: string,
  entry: CachedFile,
  cache: FileCache,
): Promise<Response> {
  const { twin, vary } = await precompressed(ctx, path, cache);
  if (twin !== null) return serveTwin(ctx, path, twin, cache, vary);
  return serveOriginal(ctx, path, entry, cache, vary);
}

/** The file itself, not a twin; `vary`: the answer says `Vary: Accept-Encoding`. */
function serveOriginal(
  ctx: RequestContext,
  path: string,
  entry: CachedFile,
  cache: FileCache,
  vary = false,
): Response | Promise<Response> {
  const shared = headersFor(entry, ctx.location.mime, ctx.location.etag);
  const headers = vary ? [...shared, ["Vary", "Accept-Encoding"] as [string, string]] : shared;
  // Small files: straight from memory, sharing the frozen header list.
  if (entry.bytes !== null) return full(headers, entry.bytes);
  // HEAD of a large file needs no open file: the headers are known.
  if (ctx.head.method === "HEAD") return full(headers, null);
  return streamFile(ctx, path, entry, cache, headers);
}

/** A large file, streamed by the connection from an open file, which it closes. */
async function streamFile(
  ctx: RequestContext,
  path: string,
  entry: CachedFile,
  cache: FileCache,
  headers: readonly [string, string][],
): Promise<Response> {
  const opened = await openFile(path, entry, cache);
  if ("status" in opened) return opened;
  const { file, current } = opened;
  const body: Response["body"] = { kind: "file", file, start: 0, length: current.size };
  return full(
    current === entry ? headers : headersFor(current, ctx.location.mime, ctx.location.etag),
    body,
  );
}

/** A compressed twin (gzip_static, brotli_static): typed as the file, with its coding. */
async function serveTwin(
  ctx: RequestContext,
  original: string,
  twin: NonNullable<Precompressed["twin"]>,
  cache: FileCache,
  vary: boolean,
): Promise<Response> {
  const location = ctx.location;
  const type = location.mime.typeOf(original);
  // The twin's own length and validators; no ranges of compressed bytes (nginx sends none).
  const headers: [string, string][] = [];
  for (const [name, value] of headersFor(twin.entry, location.mime, location.etag)) {
    if (name === "Accept-Ranges") continue;
    headers.push([name, name === "Content-Type" ? type : value]);
  }
  headers.push(["Content-Encoding", twin.encoding]);
  if (vary) headers.push(["Vary", "Accept-Encoding"]);
  if (twin.entry.bytes !== null) return full(headers, twin.entry.bytes);
  if (ctx.head.method === "HEAD") return full(headers, null);
  const opened = await openFile(twin.path, twin.entry, cache);
  if ("status" in opened) return opened;
  return full(headers, { kind: "file", file: opened.file, start: 0, length: opened.current.size });
}

/**
 * Opens a file for streaming and checks it against its cache entry. Returns the open file with the
 * entry describing it (a new one, and the cached one dropped, when the file changed), or the error
 * response when it cannot be opened.
 */
async function openFile(
  path: string,
  entry: CachedFile,
  cache: FileCache,
): Promise<{ file: Deno.FsFile; current: CachedFile } | Response> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    const status = fsErrorStatus(e);
    if (status === null) throw e;
    cache.delete(path);
    return error(status);
  }
  let info: Deno.FileInfo;
  try {
    info = await file.stat();
  } catch (e) {
    file.close();
    throw e;
  }
  const mtimeMs = info.mtime?.getTime() ?? null;
  if (info.isFile && info.size === entry.size && mtimeMs === entry.mtimeMs) {
    return { file, current: entry };
  }
  // Changed since it was cached: describe what was opened, and let the cache reload.
  cache.delete(path);
  if (!info.isFile) {
    file.close();
    return error(404);
  }
  return { file, current: fileEntry(path, info.size, mtimeMs, null) };
}

/** A 200 with a file's shared headers. */
function full(headers: readonly [string, string][], body: Response["body"]): Response {
  return { status: 200, headers: headers as [string, string][], body };
}

/** A status whose page the engine fills in. */
function error(status: number): Response {
  return { status, headers: [], body: null };
}

/** A path-only redirect to a directory's slash form, with nginx's small page. */
function redirect(location: string): Response {
  const headers: [string, string][] = [
    ["Location", location],
    ["Content-Type", "text/html; charset=utf-8"],
  ];
  return { status: 301, headers, body: errorPageBody(301) };
}

/** Whether the location runs files with this name's extension as CGI. */
function isCgi(name: string, ctx: RequestContext): boolean {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return false;
  const ext = name.slice(dot);
  return ctx.location.cgi.has(ext) || ctx.location.cgi.has(ext.toLowerCase());
}
