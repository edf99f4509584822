/**
 * What the request says about compression (nginx's ngx_http_gzip_ok): its HTTP version against
 * `gzip_http_version`, its User-Agent against `gzip_disable`, a proxy on the way (`Via`) against
 * `gzip_proxied`, and the codings its `Accept-Encoding` takes. Shared by the compression filter
 * and `gzip_static`/`brotli_static`.
 */
import type { LocationConfig } from "../config/types.ts";
import type { RequestHead } from "../http/request.ts";
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
  const agent = headerOf(head, "user-agent") ?? "";
  for (const rule of location.gzipDisable) {
    if (rule === "msie6" ? isMsie6(agent) : rule.test(agent)) return false;
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

/** `MSIE 4.`–`MSIE 6.` but not with `SV1` (nginx's msie6 rule). */
function isMsie6(agent: string): boolean {
  const at = agent.indexOf("MSIE ");
  if (at === -1 || !/^[4-6]\./.test(agent.slice(at + 5, at + 7))) return false;
  return !agent.slice(at).includes("SV1");
}

/** gzip_proxied: whether a request that came through a proxy may get this answer compressed. */
function proxiedAllowed(head: RequestHead, location: LocationConfig, res: Response | null) {
  const rules = location.gzipProxied;
  if (rules.includes("any")) return true;
  if (rules.includes("off") || rules.length === 0) return false;
  const header = (name: string) => res === null ? undefined : responseHeader(res, name);
  const cacheControl = (header("cache-control") ?? "").toLowerCase();
  const checks: Record<string, () => boolean> = {
    expired: () => header("expires") !== undefined,
    "no-cache": () => cacheControl.includes("no-cache"),
    "no-store": () => cacheControl.includes("no-store"),
    private: () => cacheControl.includes("private"),
    no_last_modified: () => header("last-modified") === undefined,
    no_etag: () => header("etag") === undefined,
    auth: () => headerOf(head, "authorization") !== undefined,
  };
  return rules.some((rule) => checks[rule]?.() ?? false);
}

function headerOf(head: RequestHead, name: string): string | undefined {
  for (const [n, v] of head.headers) if (n === name) return v;
  return undefined;
}
