/** The response to a `return code [url-or-text];` directive. */
import type { ReturnDirective } from "../config/types.ts";
import type { Response } from "../http/response.ts";
import type { RequestContext } from "./context.ts";
import { encodePath } from "./_encode_path.ts";
import { errorPageBody } from "./error_page.ts";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const encoder = new TextEncoder();

/**
 * Answers a `return`: a redirect code sends `Location` (variables substituted, path-only URLs kept
 * path-only) with nginx's small HTML page; another code with text sends the text as
 * text/plain; a code >= 400 without text has no body (the dispatcher adds the error page); 204
 * and 304 never have a body. Variables: `$scheme`, `$host`, `$request_uri`, `$uri`, `$args`,
 * `$query_string`, `$is_args`, `$request_method`, `$server_port`, `$remote_addr`, also written
 * `${name}`; unknown ones stay as written.
 */
export function returnResponse(ret: ReturnDirective, ctx: RequestContext): Response {
  const { code, text } = ret;
  // No body may follow 1xx, 204 and 304.
  if (code < 200 || code === 204 || code === 304) return { status: code, headers: [], body: null };
  if (REDIRECTS.has(code)) {
    const body = errorPageBody(code);
    const headers: [string, string][] = [
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Length", String(body.length)],
    ];
    // "return 301;" without a URL is a bare redirect page.
    if (text !== undefined) headers.push(["Location", safeLocation(substitute(text, ctx, true))]);
    return { status: code, headers, body };
  }
  // An error code without text: the dispatcher fills in error_page or the generated page.
  if (text === undefined && code >= 400) return { status: code, headers: [], body: null };
  // A success code without text: an empty body.
  if (text === undefined) {
    return { status: code, headers: [["Content-Length", "0"]], body: new Uint8Array(0) };
  }
  const body = encoder.encode(substitute(text, ctx, false));
  const headers: [string, string][] = [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(body.length)],
  ];
  return { status: code, headers, body };
}

/** Replaces `$name` and `${name}` with the request's values (`$uri` encoded inside a URL). */
function substitute(text: string, ctx: RequestContext, inUrl: boolean): string {
  if (!text.includes("$")) return text;
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, bare: string | undefined) =>
      variable((braced ?? bare ?? "").toLowerCase(), ctx, inUrl) ?? whole,
  );
}

function variable(name: string, ctx: RequestContext, inUrl: boolean): string | undefined {
  const query = ctx.head.query;
  switch (name) {
    case "scheme":
      return "http";
    case "host":
      // nginx: the Host header without port, else the server's first name.
      return ctx.host !== "" ? ctx.host : (ctx.server.serverNames[0] ?? ctx.local.hostname);
    case "request_uri":
      return ctx.head.target;
    case "uri":
      return inUrl ? encodePath(ctx.path) : ctx.path;
    case "args":
    case "query_string":
      return query;
    case "is_args":
      return query === "" ? "" : "?";
    case "request_method":
      return ctx.head.method;
    case "server_port":
      return String(ctx.local.port);
    case "remote_addr":
      return ctx.remote.hostname;
    default:
      return undefined;
  }
}

/** Percent-encodes controls, spaces and non-ASCII so that no value can break the header line. */
function safeLocation(url: string): string {
  // deno-lint-ignore no-control-regex
  return url.replace(/[\x00-\x20\x7f-\uffff]+/g, (run) => encodeURIComponent(run.toWellFormed()));
}
