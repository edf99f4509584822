/**
 * From a routed request to a Response: `return`, method checks, then the handlers in order, each
 * answering or declining; internal redirects and error pages are resolved here.
 */
import { HttpError } from "../http/errors.ts";
import type { Response } from "../http/response.ts";
import type { Handler, RequestContext } from "../handlers/context.ts";
import { cgiHandler } from "../handlers/cgi.ts";
import { deleteHandler } from "../handlers/delete.ts";
import { errorResponse } from "../handlers/error_page.ts";
import { returnResponse } from "../handlers/redirect.ts";
import { staticHandler } from "../handlers/static.ts";
import { uploadHandler } from "../handlers/upload.ts";
import { matchLocation } from "../routing/match_location.ts";
import { decodePath } from "../routing/resolve_path.ts";
import { isDisconnect } from "./disconnect.ts";

/** Methods the server knows; any other gets 501 (nginx's answer to an unknown method). */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);
const HANDLERS: Handler[] = [cgiHandler, uploadHandler, deleteHandler, staticHandler];
const MAX_INTERNAL_REDIRECTS = 10;
/** Errors after which the rest of the request cannot be trusted: the connection closes. */
const CLOSING = new Set([400, 408, 413]);

/**
 * Answers a request. Never throws but for a client that went away; an error response has its body
 * filled from `error_page` or left null for the generated page.
 */
export async function dispatch(ctx: RequestContext): Promise<Response> {
  let res: Response;
  try {
    res = await route(ctx);
  } catch (e) {
    if (e instanceof HttpError) {
      res = { status: e.status, headers: [], body: null, close: CLOSING.has(e.status) };
    } else if (isDisconnect(e)) {
      throw e;
    } else {
      console.error(`webserv: ${ctx.head.method} ${ctx.head.target}:`, e);
      res = { status: 500, headers: [], body: null };
    }
  }
  if (res.status >= 400 && res.body === null) return await errorPage(ctx, res);
  return res;
}

async function route(ctx: RequestContext): Promise<Response> {
  for (let redirects = 0;; redirects++) {
    const res = await answer(ctx);
    if (res.internalRedirect === undefined) return res;
    if (redirects === MAX_INTERNAL_REDIRECTS) {
      throw new Error(`Too many internal redirects, last to "${res.internalRedirect}"`);
    }
    const next = redirected(ctx, res.internalRedirect);
    if (next === null) return { status: 500, headers: [], body: null };
    ctx = next;
  }
}

async function answer(ctx: RequestContext): Promise<Response> {
  const { head, location, server, body } = ctx;
  if (!KNOWN_METHODS.has(head.method)) return { status: 501, headers: [], body: null, close: true };
  // A declared body over the limit is refused before it is read (with 100-continue, never sent).
  const limit = location.clientMaxBodySize;
  if (body.length !== null && limit > 0 && body.length > limit) {
    return { status: 413, headers: [], body: null, close: true };
  }
  // nginx runs the server's `return` before choosing a location, then the location's.
  if (server.return !== null) return returnResponse(server.return, ctx);
  if (location.return !== null) return returnResponse(location.return, ctx);
  const allowed = location.allowMethods;
  if (allowed !== null && !allowed.includes(head.method)) {
    return { status: 405, headers: [["Allow", allowed.join(", ")]], body: null };
  }
  for (const handler of HANDLERS) {
    const res = await handler(ctx);
    if (res !== null) return res;
  }
  return { status: 405, headers: [["Allow", "GET, HEAD"]], body: null };
}

/** The same request re-aimed at a local URI as a GET (error pages, CGI local redirects). */
function redirected(ctx: RequestContext, uri: string): RequestContext | null {
  const q = uri.indexOf("?");
  const rawPath = q === -1 ? uri : uri.slice(0, q);
  const query = q === -1 ? "" : uri.slice(q + 1);
  const path = decodePath(rawPath);
  if (path === null) return null;
  return {
    ...ctx,
    head: { ...ctx.head, method: "GET", rawPath, query },
    path,
    location: matchLocation(ctx.server, path),
  };
}

/**
 * Gives an error response its page: the location's `error_page` URI served as a GET, with the
 * error's status (an absolute URL becomes a 302 to it); else the generated page.
 */
async function errorPage(ctx: RequestContext, res: Response): Promise<Response> {
  const uri = ctx.location.errorPages.get(res.status);
  if (uri !== undefined && /^https?:\/\//i.test(uri)) {
    return { status: 302, headers: [["Location", uri]], body: null, close: res.close };
  }
  if (uri !== undefined) {
    const target = redirected(ctx, uri);
    const page = target === null ? null : await staticPage(target);
    if (page !== null && page.status === 200 && page.body !== null) {
      const kept = page.headers.filter(([n]) => /^content-(type|length)$/i.test(n));
      return {
        status: res.status,
        headers: [...res.headers, ...kept],
        body: page.body,
        close: res.close,
      };
    }
  }
  return { ...errorResponse(res.status, res.headers), close: res.close };
}

/** Serves an error page file, ignoring the request's conditional and range headers. */
async function staticPage(ctx: RequestContext): Promise<Response | null> {
  try {
    return await staticHandler({ ...ctx, head: { ...ctx.head, headers: [] } });
  } catch (e) {
    console.error(`webserv: error page "${ctx.path}":`, e);
    return null;
  }
}
