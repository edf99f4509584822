/** The answer of `return code [url-or-text];` (run by the rewrite module, rewrite.ts). */
import type { ReturnDirective } from "../config/types.ts";
import { encodePath, safeUrl } from "../http/uri_encode.ts";
import { errorPageBody } from "../http/error_pages.ts";
import type { Response } from "../http/response.ts";
import { expand } from "../variables/template.ts";
import type { RequestContext } from "./context.ts";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const encoder = new TextEncoder();

/**
 * Answers a `return`: a redirect code sends `Location` (variables expanded, `$uri` encoded,
 * path-only URLs kept path-only) with nginx's small HTML page; another code with text sends the
 * text typed by the URI's extension (else `default_type`); a code >= 400 without text has no
 * body (the engine adds the error page); 204 and 304 never have a body.
 */
export function returnResponse(ret: ReturnDirective, ctx: RequestContext): Response {
  const { code, text } = ret;
  // No body may follow 1xx, 204 and 304.
  if (code < 200 || code === 204 || code === 304) return { status: code, headers: [], body: null };
  if (REDIRECTS.has(code)) {
    const body = errorPageBody(code);
    const headers: [string, string][] = [["Content-Type", "text/html; charset=utf-8"]];
    // "return 301;" without a URL is a bare redirect page.
    if (text !== undefined) {
      const url = expand(
        text,
        ctx,
        (value, variable) => variable.decoded ? encodePath(value) : value,
      );
      headers.push(["Location", safeUrl(url)]);
    }
    return { status: code, headers, body };
  }
  // An error code without text: the engine fills in error_page or the generated page.
  if (text === undefined && code >= 400) return { status: code, headers: [], body: null };
  // A success code without text: an empty body.
  if (text === undefined) return { status: code, headers: [], body: new Uint8Array(0) };
  // The text's type is the URI's, by its extension, else default_type, as in nginx.
  const body = encoder.encode(expand(text, ctx));
  return { status: code, headers: [["Content-Type", ctx.location.mime.typeOf(ctx.path)]], body };
}
