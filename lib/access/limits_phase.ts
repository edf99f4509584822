/**
 * The preaccess phase's limits (nginx's limit_conn and limit_req modules): requests in progress
 * per key (`limit_conn`), and requests per second per key with a burst (`limit_req`), each
 * answered with its status (503 by default) past its limit, or only logged in a dry run.
 */
import { ConnectionZone, RequestZone } from "../access/rate_limit.ts";
import { requestError } from "../log/request_error.ts";
import type { Response } from "../http/response.ts";
import type { Handler, RequestContext } from "../phases/context.ts";
import { expand } from "../variables/template.ts";

/** `limit_conn`: counted until the response is sent (the connection runs `ctx.state.done`). */
export const limitConn: Handler = (ctx) => {
  const lines = ctx.location.limitConn;
  if (lines.length === 0 || ctx.state.limitedConn) return null;
  ctx.state.limitedConn = true;
  const limits = lines.map(({ zone, max }) => {
    const z = ctx.services.zones.connections.get(zone)!;
    return { zone: z.zone, key: expand(z.key, ctx), max };
  });
  const outcome = ConnectionZone.acquireAll(limits);
  if (outcome === null) return null;
  if (outcome.kind === "accept") {
    ctx.state.done.push(outcome.release);
    return null;
  }
  const { limitConnLogLevel, limitConnDryRun, limitConnStatus } = ctx.location;
  const dry = limitConnDryRun ? ", dry run" : "";
  // nginx's line, for every refusal: fail2ban's filters count them.
  const message = `limiting connections${dry} by zone "${outcome.zone}"`;
  ctx.services.log.log(limitConnLogLevel, requestError(ctx, message));
  return limitConnDryRun ? null : { status: limitConnStatus, headers: [], body: null };
};

/** `limit_req`: a request past the burst is refused; one within it may wait its turn. */
export const limitReq: Handler = (ctx) =>
  ctx.location.limitReq.length === 0 || ctx.state.limitedReq ? null : limitRequest(ctx);

async function limitRequest(ctx: RequestContext): Promise<Response | null> {
  const lines = ctx.location.limitReq;
  // The limits apply once per request, not again after a rewrite or an internal redirect.
  ctx.state.limitedReq = true;
  const limits = lines.map(({ zone, burst, delay }) => {
    const z = ctx.services.zones.requests.get(zone)!;
    return { zone: z.zone, key: expand(z.key, ctx), burst, delay };
  });
  const outcome = RequestZone.takeAll(limits);
  if (outcome === null) return null;
  const { limitReqLogLevel, limitReqDryRun, limitReqStatus } = ctx.location;
  const dry = limitReqDryRun ? ", dry run" : "";
  const excess = (outcome.excess / 1000).toFixed(3);
  if (outcome.kind === "reject") {
    const message = `limiting requests${dry}, excess: ${excess} by zone "${outcome.zone}"`;
    ctx.services.log.log(limitReqLogLevel, requestError(ctx, message));
    return limitReqDryRun ? null : { status: limitReqStatus, headers: [], body: null };
  }
  if (outcome.delayMs > 0 && !limitReqDryRun) await delay(outcome.delayMs, ctx);
  return null;
}

/** Waits `ms`, or less when the client leaves meanwhile. */
function delay(ms: number, ctx: RequestContext): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.clientGone?.().addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
