/**
 * What the request says about compression (nginx's ngx_http_gzip_ok): its HTTP version against
 * `gzip_http_version`, its User-Agent against `gzip_disable`, a proxy on the way (`Via`) against
 * `gzip_proxied`, and the codings its `Accept-Encoding` takes. Shared by the compression filter
 * and `gzip_static`/`brotli_static`.
 */
import type { LocationConfig } from "../config/types.ts";
import type { RequestHead } from "../http/request.ts";
import { parseHttpDate } from "../http/date.ts";
import { type Response, responseHeader } from "../http/response.ts";
import { chooseEncoding, type OfferedCoding, parseAcceptEncoding } from "./negotiate.ts";

/**
 * Whether the request may get a compressed answer at all; `res` is the answer to compress (for
 * gzip_proxied's conditions on it), or null for a file compressed beforehand.
 */
export function compressionAllowed(
  head: RequestHead,
  location: LocationConfig,
  res: Response | null,
): boolean {
  if (head.minor === 0 && location.gzipHttpVersion === "1.1") return false;
  // gzip_disable looks at a User-Agent only when there is one.
  const agent = headerOf(head, "user-agent");
  if (agent !== undefined) {
    for (const rule of location.gzipDisable) {
      if (rule === "msie6" ? isMsie6(agent) : rule.test(agent)) return false;
    }
  }
  return headerOf(head, "via") === undefined || proxiedAllowed(head, location, res);
}

/** The coding of `offered` the request's Accept-Encoding prefers, or null for identity. */
export function preferredCoding(
  head: RequestHead,
  offered: readonly OfferedCoding[],
): OfferedCoding | null {
  const values = head.headers.filter(([n]) => n === "accept-encoding").map(([, v]) => v);
  const header = values.length === 0 ? undefined : values.join(", ");
  return chooseEncoding(parseAcceptEncoding(header), offered);
}

/**
 * nginx's msie6 rule (ngx_http_gzip_ok): "MSIE " followed by 4., 5. or 6. (at least 8 bytes from
 * it), except 6.0 with SV1 (XP SP2's, which decompresses fine), and never an Opera that says MSIE.
 */
function isMsie6(agent: string): boolean {
  const at = agent.indexOf("MSIE ");
  if (at === -1 || agent.length - at < 8 || agent.includes("Opera")) return false;
  const major = agent[at + 5]!;
  if (agent[at + 6] !== "." || major < "4" || major > "6") return false;
  return !(major === "6" && agent.slice(at + 8).includes("SV1"));
}

/**
 * gzip_proxied, in nginx's order (ngx_http_gzip_ok): `off` never, `any` always, `auth` when the
 * request has Authorization; then an answer's Expires decides alone (`expired`, and only if
 * already past), else its Cache-Control (`no-cache`, `no-store`, `private` named in it), else
 * `no_last_modified` and `no_etag` refuse an answer with those fields; otherwise allowed.
 */
function proxiedAllowed(head: RequestHead, location: LocationConfig, res: Response | null) {
  const rules = location.gzipProxied;
  if (rules.includes("off") || rules.length === 0) return false;
  if (rules.includes("any")) return true;
  if (rules.includes("auth") && headerOf(head, "authorization") !== undefined) return true;
  const header = (name: string) => res === null ? undefined : responseHeader(res, name);
  const expires = header("expires");
  if (expires !== undefined) {
    if (!rules.includes("expired")) return false;
    const at = parseHttpDate(expires);
    const date = header("date");
    const now = date === undefined ? Date.now() : parseHttpDate(date);
    return !Number.isNaN(at) && at < now;
  }
  const cacheControl = header("cache-control");
  if (cacheControl !== undefined) {
    const directives = cacheControl.toLowerCase().split(",").map((d) => d.trim().split("=")[0]);
    return (["no-cache", "no-store", "private"] as const).some((d) =>
      rules.includes(d) && directives.includes(d)
    );
  }
  if (rules.includes("no_last_modified") && header("last-modified") !== undefined) return false;
  if (rules.includes("no_etag") && header("etag") !== undefined) return false;
  return true;
}

function headerOf(head: RequestHead, name: string): string | undefined {
  for (const [n, v] of head.headers) if (n === name) return v;
  return undefined;
}
