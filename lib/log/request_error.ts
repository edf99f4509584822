/**
 * An error-log line about a request, worded as nginx's (ngx_http_log_error_handler), so that
 * tools reading nginx's error log (fail2ban's filters) read ours:
 * `*5 limiting requests, excess: 10.790 by zone "api", client: 127.0.0.1, server: localhost,
 * request: "GET /api/x HTTP/1.1", host: "localhost:8080"`.
 */
import { getHeader } from "../http/request.ts";
import type { RequestContext } from "../phases/context.ts";

/** The line for `message` about the request of `ctx` (and the upstream it went to, if any). */
export function requestError(ctx: RequestContext, message: string, upstream?: string): string {
  const { head } = ctx;
  let line = `*${ctx.connection} ${message}, client: ${ctx.remote.hostname}, ` +
    `server: ${ctx.server.serverNames[0] ?? ""}, ` +
    `request: "${head.method} ${head.target} HTTP/1.${head.minor}"`;
  if (upstream !== undefined) line += `, upstream: "${upstream}"`;
  const host = getHeader(head, "host");
  if (host !== undefined) line += `, host: "${host}"`;
  const referrer = getHeader(head, "referer");
  if (referrer !== undefined) line += `, referrer: "${referrer}"`;
  return line;
}
