/**
 * The headers filter (nginx's ngx_http_headers_module): `add_header` and `expires`, on answers
 * with a status nginx adds them to (2xx but 202, 203, 205; 301, 302, 303, 304, 307, 308), and
 * `add_header … always` on every answer.
 */
import type { Expires } from "../config/types.ts";
import { httpDate, parseHttpDate } from "../http/date.ts";
import { type Response, responseHeader } from "../http/response.ts";
import type { Filter } from "../phases/context.ts";
import { expand } from "../variables/template.ts";

const STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
/** nginx's `expires max`: the last date a 32-bit time_t holds, less a few minutes. */
const MAX_EXPIRES = "Thu, 31 Dec 2037 23:55:55 GMT";
const MAX_AGE = 315_360_000;

export const headersFilter: Filter = (ctx, res) => {
  const { addHeaders, expires } = ctx.location;
  if (addHeaders.length === 0 && expires === null) return res;
  const usual = STATUSES.has(res.status);
  let headers: [string, string][] | null = null;
  if (expires !== null && usual) headers = withExpires(res, expires);
  for (const line of addHeaders) {
    if (!usual && !line.always) continue;
    const value = expand(line.value, ctx);
    // An empty value adds nothing, as in nginx.
    if (value !== "") (headers ??= [...res.headers]).push([line.name, value]);
  }
  return headers === null ? res : { ...res, headers };
};

/** The response's headers with `Expires` and `Cache-Control` set (replacing any). */
function withExpires(res: Response, expires: Expires): [string, string][] {
  const headers = res.headers.filter(([n]) => !/^(expires|cache-control)$/i.test(n));
  if (expires.kind === "epoch") {
    headers.push(["Expires", "Thu, 01 Jan 1970 00:00:01 GMT"], ["Cache-Control", "no-cache"]);
  } else if (expires.kind === "max") {
    headers.push(["Expires", MAX_EXPIRES], ["Cache-Control", `max-age=${MAX_AGE}`]);
  } else {
    const now = Date.now();
    const modified = responseHeader(res, "last-modified");
    const from = expires.modified && modified !== undefined ? parseHttpDate(modified) : now;
    const at = (Number.isNaN(from) ? now : from) + expires.ms;
    const age = Math.floor((at - now) / 1000);
    headers.push(
      ["Expires", httpDate(new Date(Math.floor(at / 1000) * 1000))],
      ["Cache-Control", age <= 0 ? "no-cache" : `max-age=${age}`],
    );
  }
  return headers;
}
