/**
 * The not-modified filter (nginx's ngx_http_not_modified_filter_module): a 200 whose validators
 * satisfy the request's conditions becomes a 304 without a body, or a 412 when a precondition
 * (If-Match, If-Unmodified-Since) fails.
 */
import { parseHttpDate } from "../http/date.ts";
import { errorResponse } from "../http/error_pages.ts";
import { getHeader, type RequestHead } from "../http/request.ts";
import { closeBody, responseHeader } from "../http/response.ts";
import type { Filter } from "../phases/context.ts";
import { isNotModified } from "./_validators.ts";

/** Fields a 304 does not carry: they describe a body it does not have. */
const BODY_FIELDS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "accept-ranges",
  "content-range",
]);

/** The request fields that make a request conditional (names are lower case in a head). */
const CONDITIONS = ["if-match", "if-unmodified-since", "if-none-match", "if-modified-since"];

export const notModifiedFilter: Filter = (ctx, res) => {
  if (res.status !== 200 || !isConditional(ctx.head)) return res;
  const etag = responseHeader(res, "etag");
  const modified = responseHeader(res, "last-modified");
  // Nothing to compare with.
  if (etag === undefined && modified === undefined) return res;
  if (preconditionFails(ctx.head, etag, modified)) {
    closeBody(res.body);
    return errorResponse(412);
  }
  const method = ctx.head.method;
  if (method !== "GET" && method !== "HEAD") return res;
  if (!isNotModified(ctx.head, res, ctx.location.ifModifiedSince)) return res;
  closeBody(res.body);
  const headers = res.headers.filter(([name]) => !BODY_FIELDS.has(name.toLowerCase()));
  return { status: 304, headers, body: null };
};

/** Whether the request has any of the fields that make it conditional (most have none). */
function isConditional(head: RequestHead): boolean {
  for (const [name] of head.headers) if (CONDITIONS.includes(name)) return true;
  return false;
}

/** If-Match (strong comparison) or, without it, If-Unmodified-Since rules the response out. */
function preconditionFails(
  head: RequestHead,
  etag: string | undefined,
  modified: string | undefined,
): boolean {
  const ifMatch = getHeader(head, "if-match");
  if (ifMatch !== undefined) {
    if (ifMatch.trim() === "*") return false;
    return etag === undefined || etag.startsWith("W/") ||
      !ifMatch.split(",").some((tag) => tag.trim() === etag);
  }
  const ifUnmodifiedSince = getHeader(head, "if-unmodified-since");
  if (ifUnmodifiedSince === undefined || modified === undefined) return false;
  const since = parseHttpDate(ifUnmodifiedSince);
  return !Number.isNaN(since) && parseHttpDate(modified) > since;
}
