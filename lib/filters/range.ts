/**
 * The range filter (nginx's ngx_http_range_filter_module): a 200 that offers ranges
 * (`Accept-Ranges: bytes`) and has a known length becomes a 206 of one byte range, or a 416 when
 * the range cannot be satisfied. Several ranges get the whole body, as RFC 9110 allows.
 */
import { errorResponse } from "../http/error_pages.ts";
import { getHeader } from "../http/request.ts";
import { type Body, closeBody, type Response, responseHeader } from "../http/response.ts";
import type { Filter } from "../phases/context.ts";
import { parseRange } from "./_range.ts";
import { ifRangeHolds } from "./_validators.ts";

export const rangeFilter: Filter = (ctx, res) => {
  if (res.status !== 200) return res;
  const header = getHeader(ctx.head, "range");
  if (header === undefined || responseHeader(res, "accept-ranges") !== "bytes") return res;
  const size = lengthOf(res);
  // A stream of unknown length cannot be cut.
  if (size === null) return res;
  // If-Range naming another version turns a range request into a full one.
  if (!ifRangeHolds(ctx.head, res)) return res;
  const range = parseRange(header, size);
  if (range === null) return res;
  if (range === "unsatisfiable") {
    closeBody(res.body);
    return errorResponse(416, [["Content-Range", `bytes */${size}`]]);
  }
  const { start, end } = range;
  const length = end - start + 1;
  const headers: [string, string][] = [];
  for (const field of res.headers) {
    if (field[0].toLowerCase() !== "content-length") {
      headers.push(field);
      continue;
    }
    headers.push(["Content-Length", String(length)]);
    headers.push(["Content-Range", `bytes ${start}-${end}/${size}`]);
  }
  return { status: 206, headers, body: slice(res.body, start, length) };
};

/** The length of a body that can be cut: bytes, a file range, or a HEAD's declared length. */
function lengthOf(res: Response): number | null {
  const body = res.body;
  if (body instanceof Uint8Array) return body.length;
  if (body !== null && body.kind === "stream") return null;
  const declared = responseHeader(res, "content-length");
  return declared === undefined ? null : Number(declared);
}

function slice(body: Body, start: number, length: number): Body {
  if (body === null || body instanceof Uint8Array) {
    return body?.subarray(start, start + length) ?? null;
  }
  if (body.kind === "file") return { ...body, start: body.start + start, length };
  return body;
}
