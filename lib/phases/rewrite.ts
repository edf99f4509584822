/**
 * nginx's rewrite module: the `rewrite` and `return` directives of a block, run in the order
 * written — the server's in the server-rewrite phase, before any location applies, a location's in
 * the rewrite phase. A `return` answers; a `rewrite` whose expression matches the URI changes it,
 * then, by its flag, goes on with the next directive (none; the location is searched again after
 * the block), searches the location again at once (`last`), keeps the location (`break`), or
 * redirects (`redirect` 302, `permanent` 301, and any replacement that starts with `http://`,
 * `https://` or `$scheme`).
 */
import type { RewriteDirective, RewriteStep } from "../config/types.ts";
import { errorPageBody } from "../http/error_pages.ts";
import type { Response } from "../http/response.ts";
import { safeUrl } from "../http/uri_encode.ts";
import { normalizePath } from "../routing/resolve_path.ts";
import { expand } from "../variables/template.ts";
import type { Handler, RequestContext, UriChange } from "./context.ts";
import { returnResponse } from "./return.ts";

/** The server block's rewrite directives. */
export const serverRewrite: Handler = (ctx) => run(ctx.server.script, ctx);

/** The location's rewrite directives. */
export const locationRewrite: Handler = (ctx) => run(ctx.location.script, ctx);

function run(script: readonly RewriteStep[], ctx: RequestContext): Response | UriChange | null {
  if (script.length === 0) return null;
  let current = ctx;
  let change: UriChange | null = null;
  for (const step of script) {
    if (step.kind === "return") return returnResponse(step.return, current);
    const result = rewriteOnce(step.rewrite, current);
    if (result === null) continue;
    if ("status" in result) return result;
    change = result;
    if (result.then !== "search" || step.rewrite.flag === "last") break;
    // No flag: the next directives see the new URI; the location is searched after the block.
    current = { ...current, path: result.path, head: { ...current.head, query: result.query } };
  }
  return change;
}

/** One `rewrite`: null when its expression does not match the URI. */
function rewriteOnce(rule: RewriteDirective, ctx: RequestContext): Response | UriChange | null {
  const m = rule.regex.exec(ctx.path);
  if (m === null) return null;
  const captures = m.map((group) => group ?? "");
  const replaced = expand(rule.replacement, { ...ctx, captures });
  const source = rule.replacement.source;
  if (
    rule.flag === "redirect" || rule.flag === "permanent" || /^https?:\/\//i.test(replaced) ||
    source.startsWith("$scheme")
  ) {
    // The captures are of the decoded path: spaces, controls and non-ASCII are encoded again.
    const location = safeUrl(withArgs(replaced, ctx.head.query));
    return redirect(rule.flag === "permanent" ? 301 : 302, location);
  }
  const [rawPath, query] = splitArgs(withArgs(replaced, ctx.head.query));
  // The new URI is a decoded path, as the one it was made from; one that climbs above the root
  // cannot be served.
  const path = normalizePath(rawPath);
  if (path === null) return { status: 400, headers: [], body: null };
  const then = rule.flag === "break" ? "stay" : "search";
  return { kind: "uri", path, query, then, captures, byRewrite: true };
}

/**
 * The request's arguments after a replacement, as nginx adds them: kept when the replacement has
 * none, appended after its own with "&" when it has some, dropped when it ends with "?".
 */
function withArgs(replaced: string, args: string): string {
  if (replaced.endsWith("?")) return replaced.slice(0, -1);
  if (args === "") return replaced;
  return replaced.includes("?") ? `${replaced}&${args}` : `${replaced}?${args}`;
}

function splitArgs(uri: string): [string, string] {
  const q = uri.indexOf("?");
  return q < 0 ? [uri, ""] : [uri.slice(0, q), uri.slice(q + 1)];
}

function redirect(status: number, location: string): Response {
  const headers: [string, string][] = [
    ["Content-Type", "text/html; charset=utf-8"],
    ["Location", location],
  ];
  return { status, headers, body: errorPageBody(status) };
}
