/**
 * The request line and header fields sent upstream, as nginx's proxy module writes them
 * (ngx_http_proxy_create_request): the URI by nginx's replacement rule, its default fields
 * (`Host: $proxy_host`, `Connection: close`, no TE, Keep-Alive, Expect or Upgrade), the
 * `proxy_set_header` lines, then the client's fields that none of those name.
 */
import type { LocationConfig, ProxyPass } from "../config/types.ts";
import { headBytes } from "../http/head_bytes.ts";
import { encodePath } from "../http/uri_encode.ts";
import type { RequestContext } from "../phases/context.ts";
import { expand } from "../variables/template.ts";

/**
 * Client fields never passed on as they are: the proxy sets its own or none. Content-Length and
 * Transfer-Encoding are the proxy's alone (a proxy_set_header of them is ignored): the body's
 * framing must be the one the body has.
 */
const REPLACED = new Set([
  "host",
  "connection",
  "keep-alive",
  "te",
  "expect",
  "upgrade",
  "content-length",
  "transfer-encoding",
]);

// deno-lint-ignore no-control-regex
const UNSAFE_VALUE = /[\r\n\x00]/;
/** A field name nginx takes (ignore_invalid_headers, underscores_in_headers off): others dropped. */
const VALID_NAME = /^[A-Za-z0-9-]+$/;

/** How the request is sent: over a connection kept alive or not, with a body of that length. */
export interface SendOptions {
  keepAlive: boolean;
  /** The body's length, or null for a request without one. */
  bodyLength: number | null;
}

/**
 * The URI the upstream gets. Without a URI in proxy_pass: the client's, as it sent it when it is
 * unchanged, else the current one encoded. With one: it replaces the part of the path the
 * location's prefix matched (a path outside the prefix, changed by a rewrite, goes whole).
 */
export function upstreamUri(ctx: RequestContext, pass: ProxyPass): string {
  const { head, path, location } = ctx;
  const query = head.query === "" ? "" : `?${head.query}`;
  if (pass.uri === null) {
    const unchanged = head.target === head.rawPath + query ||
      (query === "" && head.target === head.rawPath + "?");
    return unchanged ? head.target : encodePath(path) + query;
  }
  // A `rewrite … break` here, or a path outside the prefix: the changed URI goes whole (nginx).
  const whole = ctx.uriRewritten === true || !path.startsWith(location.path) || isRegex(location);
  if (whole) return encodePath(path) + query;
  return pass.uri + encodePath(path.slice(location.path.length)) + query;
}

function isRegex(location: LocationConfig): boolean {
  return location.modifier === "~" || location.modifier === "~*";
}

/** The request head for the upstream, and the URI in it (for the error log's `upstream:`). */
export function upstreamRequest(
  ctx: RequestContext,
  pass: ProxyPass,
  options: SendOptions,
): { bytes: Uint8Array; uri: string } {
  const { head, location } = ctx;
  const uri = upstreamUri(ctx, pass);
  // A connection kept alive speaks HTTP/1.1 whatever proxy_http_version says.
  const version = options.keepAlive ? "1.1" : location.proxyHttpVersion;
  // nginx's defaults, each replaced in its place by a proxy_set_header of the same name.
  const fields: [string, string | null][] = [["Host", pass.host]];
  if (!options.keepAlive) fields.push(["Connection", "close"]);
  const set = new Set<string>();
  for (const [name, template] of location.proxySetHeaders) {
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding") continue;
    set.add(lower);
    const raw = expand(template, ctx);
    // An empty value: the field is not sent (nginx).
    const value = raw === "" || UNSAFE_VALUE.test(raw) ? null : raw;
    const at = fields.findIndex(([n]) => n.toLowerCase() === lower);
    if (at === -1) fields.push([name, value]);
    else fields[at] = [fields[at]![0], value];
  }
  // HTTP/1.1 requires a Host (RFC 9112 §3.2): an emptied one falls back to $proxy_host.
  if (version === "1.1" && fields[0]![1] === null) fields[0] = ["Host", pass.host];
  let text = `${head.method} ${uri} HTTP/${version}\r\n`;
  for (const [name, value] of fields) if (value !== null) text += `${name}: ${value}\r\n`;
  if (options.bodyLength !== null) text += `Content-Length: ${options.bodyLength}\r\n`;
  for (const [name, value] of head.headers) {
    if (REPLACED.has(name) || set.has(name) || !VALID_NAME.test(name)) continue;
    text += `${name}: ${value}\r\n`;
  }
  return { bytes: headBytes(text + "\r\n"), uri };
}
