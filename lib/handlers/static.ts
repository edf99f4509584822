/** Serves files and directories under a location's root or alias (nginx's static and index modules). */
import type { Response } from "../http/response.ts";
import { getHeader } from "../http/request.ts";
import { mapToFile } from "../routing/resolve_path.ts";
import type { Handler, RequestContext } from "./context.ts";
import { encodePath } from "./_encode_path.ts";
import { ifRangeHolds, isNotModified } from "./_conditional.ts";
import { fsErrorStatus } from "./_fs_errors.ts";
import { parseRange } from "./_range.ts";
import { renderAutoindex } from "./autoindex.ts";
import { errorPageBody } from "./error_page.ts";
import { type CachedFile, FileCache, type FileCacheOptions, fileEntry } from "./file_cache.ts";

export interface StaticHandlerOptions extends FileCacheOptions {
  /** A cache to share; by default the handler makes its own from the other options. */
  cache?: FileCache;
}

/**
 * Makes a handler that answers GET and HEAD from the file system (other methods get 405): files
 * with validators, 304 and single ranges; a directory without its slash is redirected, one with
 * it serves its first `index` file, else a listing when `autoindex` is on, else 403. Small files
 * come from memory (see FileCache). The handler never declines.
 */
export function createStaticHandler(options: StaticHandlerOptions = {}): Handler {
  const cache = options.cache ?? new FileCache(options);

  return async (ctx) => {
    const method = ctx.head.method;
    // Only GET and HEAD read files.
    if (method !== "GET" && method !== "HEAD") {
      return { status: 405, headers: [["Allow", "GET, HEAD"]], body: null };
    }
    const file = mapToFile(ctx.path, ctx.location);
    // A path that would leave the root or alias names nothing here.
    if (file === null) return error(404);
    const entry = cache.peek(file) ?? await cache.get(file);
    // Missing, not a regular file, or under a file ("/a.txt/x"): 404; unreadable: 403.
    if (entry.kind === "error") return error(entry.status);
    if (entry.kind === "file") return serveFile(ctx, file, entry, cache);
    // A directory without its slash: redirect, so that relative links inside it work.
    if (!ctx.path.endsWith("/")) {
      const query = ctx.head.query === "" ? "" : "?" + ctx.head.query;
      return redirect(encodePath(ctx.path) + "/" + query);
    }
    const dir = file.endsWith("/") ? file : file + "/";
    // The first index file that exists is served as if it had been requested.
    for (const name of ctx.location.index) {
      const indexPath = dir + name;
      const index = cache.peek(indexPath) ?? await cache.get(indexPath);
      // An index that exists but cannot be read is 403, as in nginx; a missing one is skipped.
      if (index.kind === "error" && index.status === 403) return error(403);
      if (index.kind !== "file") continue;
      // A script index ("index.php") goes back to the dispatcher so that CGI runs it.
      if (isCgi(name, ctx)) {
        const query = ctx.head.query === "" ? "" : "?" + ctx.head.query;
        return {
          status: 200,
          headers: [],
          body: null,
          internalRedirect: encodePath(ctx.path + name) + query,
        };
      }
      return serveFile(ctx, indexPath, index, cache);
    }
    // No index: a listing if allowed, else 403 like nginx.
    if (!ctx.location.autoindex) return error(403);
    let body: Uint8Array;
    try {
      body = await renderAutoindex(ctx.path, dir);
    } catch (e) {
      const status = fsErrorStatus(e);
      if (status === null) throw e;
      return error(status);
    }
    const headers: [string, string][] = [
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Length", String(body.length)],
    ];
    return { status: 200, headers, body };
  };
}

const defaultCache = new FileCache();

/** The static handler with a default cache (1 s revalidation, 1024 entries, 32 MiB). */
export const staticHandler: Handler = createStaticHandler({ cache: defaultCache });

/**
 * Drops what the static handler remembers of a file this server just changed (an upload, a PUT,
 * a DELETE), so that the next GET sees the change at once rather than after the cache window.
 */
export function forgetFile(path: string): void {
  defaultCache.delete(path);
}

/** Answers a regular file: 304, 206, 416 or 200. */
async function serveFile(
  ctx: RequestContext,
  path: string,
  entry: CachedFile,
  cache: FileCache,
): Promise<Response> {
  // Validators come from the cache entry: a 304 needs no I/O.
  if (isNotModified(ctx.head, entry)) {
    return { status: 304, headers: entry.validators as [string, string][], body: null };
  }
  const rangeHeader = getHeader(ctx.head, "range");
  // If-Range naming another version turns a range request into a full one.
  const range = rangeHeader !== undefined && ifRangeHolds(ctx.head, entry)
    ? parseRange(rangeHeader, entry.size)
    : null;
  if (range === "unsatisfiable") {
    return { status: 416, headers: [["Content-Range", `bytes */${entry.size}`]], body: null };
  }
  // Small files: straight from memory, sharing the frozen header list.
  if (entry.bytes !== null) {
    if (range === null) return full(entry, entry.bytes);
    return partial(entry, range.start, range.end, entry.bytes.subarray(range.start, range.end + 1));
  }
  // HEAD of a large file needs no open file: the headers are known.
  if (ctx.head.method === "HEAD") {
    return range === null ? full(entry, null) : partial(entry, range.start, range.end, null);
  }
  // Large files are streamed by the connection from an open file, which it closes.
  const opened = await openFile(path, entry, cache);
  if ("status" in opened) return opened;
  const { file, current } = opened;
  // The range was checked against the cached size: a file that changed since is sent whole.
  if (range === null || current !== entry) return full(current, fileBody(file, 0, current.size));
  const length = range.end - range.start + 1;
  return partial(entry, range.start, range.end, fileBody(file, range.start, length));
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

/** A 200 with the entry's shared headers. */
function full(entry: CachedFile, body: Response["body"]): Response {
  return { status: 200, headers: entry.headers as [string, string][], body };
}

/** A 206 for bytes start..end (inclusive) of the file. */
function partial(
  entry: CachedFile,
  start: number,
  end: number,
  body: Response["body"],
): Response {
  const headers: [string, string][] = [
    ["Content-Type", entry.contentType],
    ["Content-Length", String(end - start + 1)],
    ["Content-Range", `bytes ${start}-${end}/${entry.size}`],
    ...entry.validators,
    ["Accept-Ranges", "bytes"],
  ];
  return { status: 206, headers, body };
}

function fileBody(file: Deno.FsFile, start: number, length: number): Response["body"] {
  return { kind: "file", file, start, length };
}

/** A status whose page the dispatcher fills in. */
function error(status: number): Response {
  return { status, headers: [], body: null };
}

/** A path-only redirect to a directory's slash form, with nginx's small page. */
function redirect(location: string): Response {
  const body = errorPageBody(301);
  const headers: [string, string][] = [
    ["Location", location],
    ["Content-Type", "text/html; charset=utf-8"],
    ["Content-Length", String(body.length)],
  ];
  return { status: 301, headers, body };
}

/** Whether the location runs files with this name's extension as CGI. */
function isCgi(name: string, ctx: RequestContext): boolean {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return false;
  const ext = name.slice(dot);
  return ctx.location.cgi.has(ext) || ctx.location.cgi.has(ext.toLowerCase());
}
