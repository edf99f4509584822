/**
 * Checks of the request itself once the location is known: the method must be one the server
 * knows (find-config; any method may be proxied), "/dir" of a proxied "/dir/" is redirected, a
 * declared body must fit the location's limit (find-config, as in
 * nginx, so that a server's `return` still answers), and the location must allow the method
 * (access).
 */
import { errorPageBody } from "../http/error_pages.ts";
import type { Handler } from "./context.ts";

/** Methods the server knows; any other gets 501 (RFC 9110 §15.6.2). */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);

/** An unknown method: 501, but where the request is proxied (the application may know it). */
export const knownMethod: Handler = (ctx) =>
  KNOWN_METHODS.has(ctx.head.method) || ctx.location.proxyPass !== null
    ? null
    : { status: 501, headers: [], body: null };

/**
 * "/dir" routed to a proxying `location /dir/` (nginx's auto_redirect): 301 to the location, with
 * the query.
 */
export const slashRedirect: Handler = (ctx) => {
  const { location } = ctx;
  if (location.proxyPass === null || ctx.path + "/" !== location.path) return null;
  const query = ctx.head.query === "" ? "" : `?${ctx.head.query}`;
  const headers: [string, string][] = [
    ["Content-Type", "text/html; charset=utf-8"],
    ["Location", location.path + query],
  ];
  return { status: 301, headers, body: errorPageBody(301) };
};

/** A declared body over `client_max_body_size` is refused before it is read: 413. */
export const bodySizeLimit: Handler = (ctx) => {
  const limit = ctx.location.clientMaxBodySize;
  const length = ctx.body.length;
  if (length === null || limit === 0 || length <= limit) return null;
  return { status: 413, headers: [], body: null };
};

/** A method outside the location's `allow_methods`: 405 with `Allow`. */
export const methodAllowed: Handler = (ctx) => {
  const allowed = ctx.location.allowMethods;
  if (allowed === null || allowed.includes(ctx.head.method)) return null;
  return { status: 405, headers: [["Allow", allowed.join(", ")]], body: null };
};
