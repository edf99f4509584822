/** Conditional requests against a response's validators, `ETag` and `Last-Modified` (RFC 9110 §13). */
import { parseHttpDate } from "../http/date.ts";
import { getHeader, type RequestHead } from "../http/request.ts";
import { type Response, responseHeader } from "../http/response.ts";

/**
 * Whether a GET/HEAD should be answered 304: If-None-Match lists a matching tag (weak
 * comparison, "*" matches any), or, only when If-None-Match is absent, If-Modified-Since equals
 * the response's Last-Modified (`exact`, nginx's default) or is at or after it (`before`); `off`
 * ignores If-Modified-Since.
 */
export function isNotModified(
  head: RequestHead,
  res: Response,
  ifModifiedSince: "off" | "exact" | "before" = "exact",
): boolean {
  const ifNoneMatch = getHeader(head, "if-none-match");
  // If-None-Match takes precedence over If-Modified-Since.
  if (ifNoneMatch !== undefined) {
    // "*" matches any current representation, with an ETag or without (RFC 9110 §13.1.2).
    if (ifNoneMatch.trim() === "*") return true;
    const etag = responseHeader(res, "etag");
    return etag !== undefined && etagListMatches(ifNoneMatch, etag);
  }
  const header = getHeader(head, "if-modified-since");
  if (header === undefined || ifModifiedSince === "off") return false;
  const modified = lastModified(res);
  const since = parseHttpDate(header);
  // An unparsable date is ignored.
  if (modified === null || Number.isNaN(since)) return false;
  return ifModifiedSince === "exact" ? modified === since : modified <= since;
}

/**
 * Whether a Range header may be honoured: no If-Range, or an If-Range naming the current
 * representation, by a strong ETag or by exactly its Last-Modified date.
 */
export function ifRangeHolds(head: RequestHead, res: Response): boolean {
  const ifRange = getHeader(head, "if-range");
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  // An entity tag: it must match strongly (a weak tag never matches here).
  if (value.startsWith('"') || value.startsWith("W/")) return value === responseHeader(res, "etag");
  // A date: it must equal the modification time.
  const modified = lastModified(res);
  const date = parseHttpDate(value);
  return modified !== null && !Number.isNaN(date) && date === modified;
}

/** The Last-Modified time in milliseconds (whole seconds), or null without one. */
function lastModified(res: Response): number | null {
  const value = responseHeader(res, "last-modified");
  if (value === undefined) return null;
  const ms = parseHttpDate(value);
  return Number.isNaN(ms) ? null : ms;
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
