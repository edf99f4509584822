/** Conditional requests against a file's validators (RFC 9110 §13). */
import { parseHttpDate } from "../http/date.ts";
import { getHeader, type RequestHead } from "../http/request.ts";
import type { CachedFile } from "./file_cache.ts";

/**
 * Whether a GET/HEAD should be answered 304: If-None-Match lists a matching tag (weak
 * comparison, "*" matches any), or, only when If-None-Match is absent, If-Modified-Since is at or
 * after the file's modification time.
 */
export function isNotModified(head: RequestHead, file: CachedFile): boolean {
  const ifNoneMatch = getHeader(head, "if-none-match");
  // If-None-Match takes precedence over If-Modified-Since.
  if (ifNoneMatch !== undefined) return etagListMatches(ifNoneMatch, file.etag);
  const ifModifiedSince = getHeader(head, "if-modified-since");
  if (ifModifiedSince === undefined || file.mtimeMs === null) return false;
  const since = parseHttpDate(ifModifiedSince);
  // An unparsable date is ignored; HTTP dates have whole seconds.
  return !Number.isNaN(since) && Math.floor(file.mtimeMs / 1000) * 1000 <= since;
}

/**
 * Whether a Range header may be honoured: no If-Range, or an If-Range naming the current
 * representation, by a strong ETag or by exactly its Last-Modified date.
 */
export function ifRangeHolds(head: RequestHead, file: CachedFile): boolean {
  const ifRange = getHeader(head, "if-range");
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  // An entity tag: it must match strongly (a weak tag never matches here).
  if (value.startsWith('"') || value.startsWith("W/")) return value === file.etag;
  // A date: it must equal the modification time.
  if (file.mtimeMs === null) return false;
  const date = parseHttpDate(value);
  return !Number.isNaN(date) && date === Math.floor(file.mtimeMs / 1000) * 1000;
}

/** Weak comparison of an If-None-Match list ("*", or tags separated by commas) with one tag. */
function etagListMatches(list: string, etag: string): boolean {
  if (list.trim() === "*") return true;
  const opaque = stripWeak(etag);
  for (const candidate of list.split(",")) {
    if (stripWeak(candidate.trim()) === opaque) return true;
  }
  return false;
}

function stripWeak(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}
