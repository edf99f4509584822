/**
 * The phase engine: walks a routed request through the phases, follows internal redirects, turns
 * failures into statuses, gives error responses their page, and passes the final response
 * through the filters. Only the connection writes it.
 */
import { HttpError } from "../http/errors.ts";
import { errorResponse } from "../http/error_pages.ts";
import type { BodyReader } from "../http/request.ts";
import { closeBody, type Response } from "../http/response.ts";
import { reroute } from "../routing/route.ts";
import { isDisconnect } from "../http/disconnect.ts";
import type { Pipeline, RequestContext } from "./context.ts";

const MAX_INTERNAL_REDIRECTS = 10;
/** An internal redirect is a GET without a body (the original body is the connection's). */
const NO_BODY: BodyReader = { length: 0, read: () => Promise.resolve(null) };

/** The final answer to a request, and the context it was produced in (after redirects). */
export interface Answer {
  ctx: RequestContext;
  res: Response;
}

/**
 * Answers a routed request through the pipeline's phases and filters. Never throws but for a
 * client that went away; every other failure is a status (HttpError's, or a logged 500).
 */
export async function runPhases(ctx: RequestContext, pipeline: Pipeline): Promise<Answer> {
  const answer = await follow(ctx, pipeline);
  const res = await withErrorPage(answer.ctx, answer.res, pipeline);
  return { ctx: answer.ctx, res: applyFilters(answer.ctx, res, pipeline) };
}

/** Passes a response through every filter of the pipeline, in order. */
export function applyFilters(ctx: RequestContext, res: Response, pipeline: Pipeline): Response {
  for (const filter of pipeline.filters) res = filter(ctx, res);
  return res;
}

/** The phases once, then again for each internal redirect (at most 10, then 500). */
async function follow(ctx: RequestContext, pipeline: Pipeline): Promise<Answer> {
  for (let redirects = 0;; redirects++) {
    const res = await walk(ctx, pipeline);
    if (res.internalRedirect === undefined) return { ctx, res };
    if (redirects === MAX_INTERNAL_REDIRECTS) {
      ctx.services.log.report(
        "error",
        "Too many internal redirects",
        `last to "${res.internalRedirect}" for ${ctx.head.method} ${ctx.head.target}`,
      );
      return { ctx, res: { status: 500, headers: [], body: null } };
    }
    const next = redirected(ctx, res.internalRedirect);
    if (next === null) return { ctx, res: { status: 500, headers: [], body: null } };
    ctx = next;
  }
}

/** Runs the phases in order until a handler answers. */
async function walk(ctx: RequestContext, pipeline: Pipeline): Promise<Response> {
  try {
    for (const phase of pipeline.phases) {
      for (const handler of phase.handlers) {
        const res = await handler(ctx);
        if (res !== null) return res;
      }
    }
    return { status: 405, headers: [["Allow", "GET, HEAD"]], body: null };
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, headers: [], body: null };
    if (isDisconnect(e)) throw e;
    // A failure of the server's own: one line per kind of failure (counted when it repeats).
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    ctx.services.log.report("error", `${what}`, `${ctx.head.method} ${ctx.head.target}`);
    return { status: 500, headers: [], body: null };
  }
}

/** The same request re-aimed at a local URI as a GET without a body; null for a bad URI. */
function redirected(ctx: RequestContext, uri: string): RequestContext | null {
  const target = reroute(ctx.server, uri);
  if (target === null) return null;
  const { path, location, rawPath, query } = target;
  return {
    ...ctx,
    head: { ...ctx.head, method: "GET", rawPath, query },
    body: NO_BODY,
    path,
    location,
  };
}

/**
 * Gives an error response (status >= 400, no body) its page: the location's `error_page` URI,
 * answered through the phases as a GET, with the error's status (an absolute URL becomes a 302 to
 * it); else, or when that page cannot be served, the generated page.
 */
async function withErrorPage(
  ctx: RequestContext,
  res: Response,
  pipeline: Pipeline,
): Promise<Response> {
  if (res.status < 400 || res.body !== null) return res;
  const uri = ctx.location.errorPages.get(res.status);
  if (uri !== undefined && /^https?:\/\//i.test(uri)) {
    return { status: 302, headers: [["Location", uri]], body: null };
  }
  const target = uri === undefined ? null : redirected(ctx, uri);
  if (target !== null) {
    const page = (await follow(target, pipeline)).res;
    if (page.status === 200 && page.body !== null) {
      const kept = page.headers.filter(([n]) => /^content-(type|length)$/i.test(n));
      return { status: res.status, headers: [...res.headers, ...kept], body: page.body };
    }
    closeBody(page.body);
  }
  return errorResponse(res.status, res.headers);
}
