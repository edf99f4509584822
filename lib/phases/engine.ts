/**
 * The phase engine: walks a routed request through the pipeline's phases, follows URI changes
 * (rewrites, try_files) and internal redirects, turns failures into statuses, gives error
 * responses their page, and passes the final response through the filters. Only the connection
 * writes it.
 */
import type { ErrorPage } from "../config/types.ts";
import { isDisconnect } from "../http/disconnect.ts";
import { errorPageBody, errorResponse } from "../http/error_pages.ts";
import { HttpError } from "../http/errors.ts";
import type { BodyReader } from "../http/request.ts";
import { closeBody, type Response } from "../http/response.ts";
import { encodePath } from "../http/uri_encode.ts";
import { matchLocation } from "../routing/match_location.ts";
import { reroute } from "../routing/route.ts";
import type { Handler, Pipeline, RequestContext, UriChange } from "./context.ts";

/** URI changes and internal redirects one request may go through (nginx's limit), then 500. */
const MAX_URI_CHANGES = 10;
/** An internal redirect of a script or an error page is a GET without a body. */
const NO_BODY: BodyReader = { length: 0, read: () => Promise.resolve(null) };
const INTERNAL_ERROR: Response = Object.freeze({ status: 500, headers: [], body: null });

/** The final answer to a request, and the context it was produced in (after redirects). */
export interface Answer {
  ctx: RequestContext;
  res: Response;
}

/**
 * Answers a routed request through the pipeline's phases and filters. Never fails but for a
 * client that went away; every other failure is a status (HttpError's, or a logged 500).
 *
 * Synchronous when every handler and filter on the way answered synchronously (a cached file): a
 * promise, and the turns of the microtask queue that awaiting it costs, only when one of them
 * returned a promise.
 */
export function runPhases(ctx: RequestContext, pipeline: Pipeline): Answer | Promise<Answer> {
  const answer = follow(ctx, pipeline, 0);
  return answer instanceof Promise
    ? answer.then((a) => finish(a, pipeline))
    : finish(answer, pipeline);
}

/** The error page of an error without a body, then the filters. */
function finish(answer: Answer, pipeline: Pipeline): Answer | Promise<Answer> {
  if (answer.res.status >= 400 && answer.res.body === null) {
    return withErrorPage(answer, pipeline).then((a) => filtered(a, pipeline));
  }
  return filtered(answer, pipeline);
}

/** The answer passed through the filters of the location that answered (an error page's own). */
function filtered(answer: Answer, pipeline: Pipeline): Answer | Promise<Answer> {
  const res = filterResponse(answer.ctx, answer.res, pipeline);
  if (res instanceof Promise) {
    return res.then((r) => {
      answer.res = r;
      return answer;
    });
  }
  answer.res = res;
  return answer;
}

/** Passes a response through every filter of the pipeline, in order. */
export async function applyFilters(
  ctx: RequestContext,
  res: Response,
  pipeline: Pipeline,
): Promise<Response> {
  return await filterResponse(ctx, res, pipeline);
}

/**
 * applyFilters without a promise when it needs none: most filters decline at once,
 * synchronously, and are awaited only when they return a promise (each await costs a turn of the
 * microtask queue, on every request).
 */
function filterResponse(
  ctx: RequestContext,
  res: Response,
  pipeline: Pipeline,
): Response | Promise<Response> {
  const filters = pipeline.filters;
  for (let i = 0; i < filters.length; i++) {
    const out = filters[i]!(ctx, res);
    if (out instanceof Promise) return finishFilters(ctx, out, pipeline, i + 1);
    res = out;
  }
  return res;
}

/** The rest of applyFilters once a filter answered with a promise. */
async function finishFilters(
  ctx: RequestContext,
  pending: Promise<Response>,
  pipeline: Pipeline,
  next: number,
): Promise<Response> {
  let res = await pending;
  const filters = pipeline.filters;
  for (let i = next; i < filters.length; i++) res = await filters[i]!(ctx, res);
  return res;
}

/** The phases, then again for each internal redirect of a response (a script's `Location`). */
function follow(
  ctx: RequestContext,
  pipeline: Pipeline,
  redirects: number,
): Answer | Promise<Answer> {
  const answer = walk(ctx, pipeline);
  return answer instanceof Promise
    ? answer.then((a) => redirect(a, pipeline, redirects))
    : redirect(answer, pipeline, redirects);
}

/** The answer of a walk, or the walk again for the URI it redirects to internally. */
function redirect(answer: Answer, pipeline: Pipeline, redirects: number): Answer | Promise<Answer> {
  const uri = answer.res.internalRedirect;
  if (uri === undefined) return answer;
  if (redirects === MAX_URI_CHANGES) return cycle(answer.ctx, uri);
  const next = redirected(answer.ctx, uri);
  if (next === null) return { ctx: answer.ctx, res: INTERNAL_ERROR };
  return follow(next, pipeline, redirects + 1);
}

/** Where a walk through the phases is: the request as changed so far, the next handler. */
interface Walk {
  ctx: RequestContext;
  phase: number;
  handler: number;
  changes: number;
}

/** A handler's outcome: a Response answers, a URI change moves the walk, null declines. */
type Outcome = Response | UriChange | null;

/**
 * Runs the phases in order until a handler answers. A URI change goes back to find-config
 * (search), to server-rewrite (an internal redirect), or on to the next phase (stay). Most
 * handlers decline at once, synchronously: the walk stays synchronous until one returns a
 * promise, and goes on in `walkAfter` from there.
 */
function walk(ctx: RequestContext, pipeline: Pipeline): Answer | Promise<Answer> {
  const w: Walk = { ctx, phase: 0, handler: 0, changes: 0 };
  try {
    for (;;) {
      const handler = nextHandler(w, pipeline);
      if (handler === null) return notAllowed(w);
      const out = handler(w.ctx);
      if (out instanceof Promise) return walkAfter(w, out, pipeline);
      const answer = step(w, out, pipeline);
      if (answer !== null) return answer;
    }
  } catch (e) {
    return failed(w.ctx, e);
  }
}

/** The rest of a walk once a handler returned a promise. */
async function walkAfter(w: Walk, pending: Promise<Outcome>, pipeline: Pipeline): Promise<Answer> {
  try {
    let out = await pending;
    for (;;) {
      const answer = step(w, out, pipeline);
      if (answer !== null) return answer;
      const handler = nextHandler(w, pipeline);
      if (handler === null) return notAllowed(w);
      const next = handler(w.ctx);
      out = next instanceof Promise ? await next : next;
    }
  } catch (e) {
    return failed(w.ctx, e);
  }
}

/** The handler to run next (moving on to the next phase past a phase's last), or null after all. */
function nextHandler(w: Walk, pipeline: Pipeline): Handler | null {
  const phases = pipeline.phases;
  for (; w.phase < phases.length; w.phase++, w.handler = 0) {
    const handlers = phases[w.phase]!.handlers;
    if (w.handler < handlers.length) return handlers[w.handler++]!;
  }
  return null;
}

/** Applies the outcome of the handler just run: the answer, or null when the walk goes on. */
function step(w: Walk, out: Outcome, pipeline: Pipeline): Answer | null {
  if (out === null) return null;
  if (!("kind" in out)) return { ctx: w.ctx, res: out };
  if (++w.changes > MAX_URI_CHANGES) return cycle(w.ctx, out.path);
  const moved = applyChange(w.ctx, out);
  if (moved === null) return { ctx: w.ctx, res: INTERNAL_ERROR };
  w.ctx = moved;
  w.phase = out.then === "stay"
    ? w.phase + 1
    : out.then === "search"
    ? pipeline.phases.findIndex((p) => p.name === "find-config")
    : 0;
  w.handler = 0;
  return null;
}

/** No content handler answered. */
function notAllowed(w: Walk): Answer {
  return { ctx: w.ctx, res: { status: 405, headers: [["Allow", "GET, HEAD"]], body: null } };
}

/** A handler's failure as a status; a client that went away is thrown on. */
function failed(ctx: RequestContext, e: unknown): Answer {
  if (e instanceof HttpError) return { ctx, res: { status: e.status, headers: [], body: null } };
  if (isDisconnect(e)) throw e;
  // A failure of the server's own: one line per kind of failure (counted when it repeats).
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  ctx.services.log.report("error", what, `${ctx.head.method} ${ctx.head.target}`);
  return { ctx, res: INTERNAL_ERROR };
}

/** The request with a URI change applied: the same location (stay), a named one, or found again. */
function applyChange(ctx: RequestContext, change: UriChange): RequestContext | null {
  // The same URI (a named location's fallback) keeps the head as the client sent it.
  const same = change.path === ctx.path && change.query === ctx.head.query;
  const head = same
    ? ctx.head
    : { ...ctx.head, rawPath: encodePath(change.path), query: change.query };
  const moved: RequestContext = {
    ...ctx,
    head,
    path: change.path,
    captures: change.captures ?? ctx.captures,
    uriRewritten: change.byRewrite === true && change.then === "stay" && !same,
  };
  if (change.named !== undefined) {
    const location = ctx.server.named.get(change.named);
    if (location === undefined) {
      ctx.services.log.report("error", `Named location "${change.named}" not found`);
      return null;
    }
    return { ...moved, location };
  }
  if (change.then === "stay") return moved;
  const found = matchLocation(ctx.server, change.path);
  return { ...moved, location: found.location, captures: found.captures };
}

/** Ten URI changes were not enough: nginx's "rewrite or internal redirection cycle". */
function cycle(ctx: RequestContext, last: string): Answer {
  ctx.services.log.report(
    "error",
    "Rewrite or internal redirection cycle",
    `last to "${last}" for ${ctx.head.method} ${ctx.head.target}`,
  );
  return { ctx, res: INTERNAL_ERROR };
}

/** The same request re-aimed at a local URI as a GET without a body; null for a bad URI. */
function redirected(ctx: RequestContext, uri: string): RequestContext | null {
  const target = reroute(ctx.server, uri);
  if (target === null) return null;
  const { path, location, captures, rawPath, query } = target;
  return {
    ...ctx,
    head: { ...ctx.head, method: "GET", rawPath, query },
    body: NO_BODY,
    path,
    location,
    captures,
  };
}

/**
 * Gives an error response (status >= 400, no body) its page: the location's `error_page` — a URI
 * or a named location answered through the phases as a GET, with the error's status, the page's
 * own (`=`) or the given one (`=200`); an absolute URL is a 302 to it — else, or when the page
 * cannot be served, the generated page. The answer's context is the page's when it was served.
 */
async function withErrorPage(answer: Answer, pipeline: Pipeline): Promise<Answer> {
  const { ctx, res } = answer;
  if (res.status < 400 || res.body !== null) return answer;
  const page = ctx.location.errorPages.get(res.status);
  if (page !== undefined && /^https?:\/\//i.test(page.uri)) {
    const headers: [string, string][] = [
      ["Content-Type", "text/html; charset=utf-8"],
      ["Location", page.uri],
    ];
    return { ctx, res: { status: 302, headers, body: errorPageBody(302) } };
  }
  const target = page === undefined ? null : errorPageRequest(ctx, page);
  if (target !== null) {
    const served = await follow(target, pipeline, 0);
    const status = statusOf(page!, res.status, served.res.status);
    if (served.res.body !== null && (served.res.status === 200 || page!.status !== undefined)) {
      const kept = served.res.headers.filter(([n]) => /^content-(type|length)$/i.test(n));
      const headers = page!.status === undefined ? [...res.headers, ...kept] : served.res.headers;
      return { ctx: served.ctx, res: { status, headers, body: served.res.body } };
    }
    closeBody(served.res.body);
    if (page!.status !== undefined && served.res.status < 400) {
      return { ctx: served.ctx, res: { ...served.res, status } };
    }
  }
  return { ctx, res: errorResponse(res.status, res.headers) };
}

/** The request for an error page: a GET of its URI, or of the same path in a named location. */
function errorPageRequest(ctx: RequestContext, page: ErrorPage): RequestContext | null {
  if (!page.uri.startsWith("@")) return redirected(ctx, page.uri);
  const location = ctx.server.named.get(page.uri);
  if (location === undefined) return null;
  return { ...ctx, head: { ...ctx.head, method: "GET" }, body: NO_BODY, location };
}

/** The status of an error page's answer: the error's, the page's own (`=`), or the given one. */
function statusOf(page: ErrorPage, error: number, own: number): number {
  if (page.status === undefined) return error;
  return page.status === "page" ? own : page.status;
}
