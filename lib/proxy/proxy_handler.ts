/**
 * `proxy_pass` (a content handler): the request goes to a server of the location's upstream and
 * its answer comes back as a stream. The request body is read whole first (so that it can be
 * sent again); a server that cannot be reached, resets, times out or answers with a broken head
 * is counted against it (max_fails) and, where `proxy_next_upstream` allows and the method is
 * idempotent, the next server is tried, until `proxy_next_upstream_tries` or `_timeout`. Nothing
 * has reached the client before the answer's head is read, so a retry is always invisible.
 * Failures are 502 (504 for a timeout), each logged once in nginx's words.
 */
import type { NextUpstream, ProxyPass } from "../config/types.ts";
import { getHeader } from "../http/request.ts";
import { closeBody, type Response } from "../http/response.ts";
import { spoolBody, type SpooledBody } from "../io/spool_body.ts";
import { requestError } from "../log/request_error.ts";
import type { ContentHandler, RequestContext } from "../phases/context.ts";
import type { UpstreamAttempt } from "../variables/variables.ts";
import { responseFraming } from "./response_framing.ts";
import type { ResponseHead } from "./response_parser.ts";
import { tunnelBody } from "./tunnel.ts";
import { upstreamBody } from "./upstream_body.ts";
import { UpstreamConnection, UpstreamTimeout } from "./upstream_connection.ts";
import { upstreamRequest, upstreamUri } from "./upstream_request.ts";
import { clientHeaders } from "./upstream_response.ts";
import type { UpstreamState } from "./upstreams.ts";

/** Methods that may be sent again to another server (RFC 9110 §9.2.2), as nginx's list. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
/** Answers that count as a server's failure when proxy_next_upstream names them. */
const FAILING_STATUSES = new Set([500, 502, 503, 504]);
/** A body this small goes out in the same write as the head. */
const COALESCE_BYTES = 64 * 1024;

/** Why a try failed: the proxy_next_upstream case, the status for the client, and the log line. */
interface Failure {
  kind: "failure";
  reason: NextUpstream;
  status: 502 | 504;
  message: string;
  /** Something of the request may have reached the server (it was connected). */
  sent: boolean;
  /** A kept-alive connection that failed before answering anything: try a fresh one. */
  stale?: boolean;
}

interface Answer {
  kind: "answer";
  res: Response;
}

/** One request's proxying: what every try needs. */
interface Job {
  ctx: RequestContext;
  pass: ProxyPass;
  upstream: UpstreamState;
  body: SpooledBody | null;
}

export const proxyHandler: ContentHandler = (ctx) =>
  ctx.location.proxyPass === null ? null : proxy(ctx, ctx.location.proxyPass);

async function proxy(ctx: RequestContext, pass: ProxyPass): Promise<Response> {
  const { head } = ctx;
  const hasBody = getHeader(head, "content-length") !== undefined ||
    getHeader(head, "transfer-encoding") !== undefined;
  // client_max_body_size and the body timeout apply as the body is read (413, 408, 400).
  const body = hasBody ? await spoolBody(ctx.body) : null;
  try {
    return await forward({ ctx, pass, upstream: ctx.services.upstreams.get(pass.upstream), body });
  } finally {
    body?.close();
  }
}

async function forward(job: Job): Promise<Response> {
  const { ctx, pass, upstream } = job;
  const location = ctx.location;
  const started = Date.now();
  const tried = new Set<number>();
  const maxTries = Math.min(upstream.peers.usable, location.proxyNextUpstreamTries || Infinity);
  // A request may go to the next server for a listed reason, within the tries and the time
  // allowed; one that is not idempotent only if it never reached the server (nginx).
  const may = (reason: NextUpstream, sent: boolean) =>
    location.proxyNextUpstream.includes(reason) &&
    (!sent || IDEMPOTENT.has(ctx.head.method) ||
      location.proxyNextUpstream.includes("non_idempotent")) &&
    tried.size < maxTries &&
    (location.proxyNextUpstreamTimeout === 0 ||
      Date.now() - started < location.proxyNextUpstreamTimeout);
  let last: Failure | null = null;
  for (;;) {
    const server = upstream.peers.pick(tried);
    if (server === null) {
      // Every server tried: the last failure's status; none could be tried: "no live upstreams".
      if (last !== null) return status(last.status);
      log(job, "no live upstreams while connecting to upstream", pass.upstream.name);
      ctx.state.upstream.push(attemptRecord(pass.upstream.name));
      return status(502);
    }
    tried.add(server);
    let outcome = await attempt(job, server, true);
    if (outcome.kind === "failure" && outcome.stale) outcome = await attempt(job, server, false);
    if (outcome.kind === "answer") {
      const code = outcome.res.status;
      const reason = `http_${code}` as NextUpstream;
      if (location.proxyNextUpstream.includes(reason) && may(reason, true)) {
        if (FAILING_STATUSES.has(code)) countFailure(job, server);
        closeBody(outcome.res.body);
        continue;
      }
      upstream.peers.succeeded(server);
      return await answered(job, outcome.res);
    }
    log(job, outcome.message, pass.upstream.servers[server]!.text);
    countFailure(job, server);
    last = outcome;
    if (!may(outcome.reason, outcome.sent)) return status(outcome.status);
  }
}

/** Counts a failure against a server; nginx's warning when that takes it out. */
function countFailure(job: Job, server: number): void {
  if (!job.upstream.peers.failed(server)) return;
  const addr = job.pass.upstream.servers[server]!.text;
  const message = "upstream server temporarily disabled while connecting to upstream";
  job.ctx.services.log.log("warn", requestError(job.ctx, message, `http://${addr}`));
}

/** One try of one server: its answer (any status), or why it failed. */
async function attempt(job: Job, server: number, pooled: boolean): Promise<Answer | Failure> {
  const { ctx, pass, upstream, body } = job;
  const location = ctx.location;
  const target = pass.upstream.servers[server]!;
  const record = attemptRecord(target.text);
  ctx.state.upstream.push(record);
  const t0 = Date.now();
  const keepAlive = pass.upstream.keepalive > 0;
  let conn = pooled && keepAlive ? upstream.pool.take(server) : null;
  const reused = conn !== null;
  if (conn === null) {
    try {
      conn = await UpstreamConnection.open(target.address, location.proxyConnectTimeout);
    } catch (e) {
      record.responseMs = Date.now() - t0;
      if (e instanceof UpstreamTimeout) {
        record.status = 504;
        return failure(
          "timeout",
          504,
          "upstream timed out (110: Connection timed out)",
          "connecting to",
        );
      }
      const where = "path" in target.address ? ` to ${target.text}` : "";
      return failure("error", 502, `connect()${where} failed (${systemError(e)})`, "connecting to");
    }
  }
  record.connectMs = Date.now() - t0;
  // A client that leaves meanwhile takes the upstream request with it.
  const gone = ctx.clientGone?.();
  const onGone = () => conn.close();
  gone?.addEventListener("abort", onGone, { once: true });
  let stage = "sending request to";
  try {
    conn.requests++;
    const request = upstreamRequest(ctx, pass, { keepAlive, bodyLength: body?.length ?? null });
    await send(conn, request.bytes, body, location.proxySendTimeout);
    stage = "reading response header from";
    const head = await readHead(conn, location.proxyReadTimeout);
    if ("error" in head) {
      conn.close();
      return failure("invalid_header", 502, head.error, stage);
    }
    record.headerMs = Date.now() - t0;
    record.status = head.head.status;
    return { kind: "answer", res: answer(job, conn, head.head, record, t0) };
  } catch (e) {
    conn.close();
    record.responseMs = Date.now() - t0;
    if (gone?.aborted) throw new Deno.errors.ConnectionAborted("client closed request");
    if (e instanceof UpstreamTimeout) {
      record.status = 504;
      return failure("timeout", 504, "upstream timed out (110: Connection timed out)", stage);
    }
    const nothingRead = conn.input.pending === 0;
    const message = e instanceof PrematureClose
      ? "upstream prematurely closed connection"
      : `${stage === "sending request to" ? "writev()" : "recv()"} failed (${systemError(e)})`;
    return { ...failure("error", 502, message, stage), stale: reused && nothingRead };
  } finally {
    gone?.removeEventListener("abort", onGone);
  }
}

/** Writes the head and the body (a small body in the same write). */
async function send(
  conn: UpstreamConnection,
  head: Uint8Array,
  body: SpooledBody | null,
  timeout: number,
): Promise<void> {
  if (body === null || body.length === 0) return conn.write(head, timeout);
  await body.rewind();
  if (body.length <= COALESCE_BYTES) {
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    let at = head.length;
    for (let piece = await body.read(); piece !== null; piece = await body.read()) {
      out.set(piece, at);
      at += piece.length;
    }
    return conn.write(out, timeout);
  }
  await conn.write(head, timeout);
  for (let piece = await body.read(); piece !== null; piece = await body.read()) {
    await conn.write(piece, timeout);
  }
}

class PrematureClose extends Error {}

/** Reads the final head (interim 1xx heads but 101 are skipped), or the parser's complaint. */
async function readHead(
  conn: UpstreamConnection,
  timeout: number,
): Promise<{ head: ResponseHead } | { error: string }> {
  const { parser, input } = conn;
  parser.reset();
  for (;;) {
    const r = parser.parse(input.buf, input.start, input.end);
    if (r.kind === "error") return { error: r.message };
    if (r.kind === "complete") {
      input.consume(r.consumed);
      if (r.head.status >= 200 || r.head.status === 101) return { head: r.head };
      continue;
    }
    if ((await conn.fill(timeout)) === null) throw new PrematureClose();
  }
}

/** The client's response for an upstream head: its fields, and its body as a stream or a tunnel. */
function answer(
  job: Job,
  conn: UpstreamConnection,
  head: ResponseHead,
  record: UpstreamAttempt,
  t0: number,
): Response {
  const { ctx, upstream } = job;
  const location = ctx.location;
  const framing = responseFraming(ctx.head.method, head);
  const headers = clientHeaders(ctx, head);
  if (framing.kind === "error" || (framing.kind === "upgrade" && head.status !== 101)) {
    conn.close();
    const message = framing.kind === "error"
      ? framing.message
      : "upstream sent an unexpected upgrade";
    log(job, `${message} while reading response header from upstream`, record.addr);
    record.status = 502;
    return status(502);
  }
  if (framing.kind === "upgrade") {
    record.responseMs = Date.now() - t0;
    headers.push(["Upgrade", valueOf(head, "upgrade") ?? ""], ["Connection", "upgrade"]);
    return { status: 101, headers, body: tunnelBody(conn, location.proxyReadTimeout) };
  }
  if (framing.kind === "length") headers.push(["Content-Length", String(framing.length)]);
  else if (framing.kind === "none" && ctx.head.method === "HEAD") {
    const length = valueOf(head, "content-length");
    if (length !== undefined) headers.push(["Content-Length", length]);
  }
  const reusable = job.pass.upstream.keepalive > 0 && head.minor === 1 &&
    framing.kind !== "close" && !/(^|,)\s*close\s*(,|$)/i.test(valueOf(head, "connection") ?? "");
  const server = job.pass.upstream.servers.findIndex((s) => s.text === record.addr);
  const body = upstreamBody(conn, framing, location.proxyReadTimeout, {
    whole: () => {
      record.responseMs = Date.now() - t0;
      if (reusable) upstream.pool.put(server, conn);
      else conn.close();
    },
    failed: (message) => {
      record.responseMs = Date.now() - t0;
      conn.close();
      log(job, `${message} while reading upstream`, record.addr);
    },
    abandoned: () => {
      record.responseMs = Date.now() - t0;
      conn.close();
    },
  });
  // X-Accel-Redirect: the answer is another local URI's (unless proxy_pass_header passes it).
  const accel = valueOf(head, "x-accel-redirect");
  const redirect = accel?.startsWith("/") &&
    !location.proxyPassHeaders.includes("x-accel-redirect");
  return { status: head.status, headers, body, ...(redirect ? { internalRedirect: accel } : {}) };
}

/**
 * What the client gets of an upstream answer: an internal redirect for `X-Accel-Redirect` (as a
 * GET, nginx's rule), the location's error_page for an answer >= 400 under
 * proxy_intercept_errors (a 401 keeps its challenge), else the answer as it came.
 */
async function answered(job: Job, res: Response): Promise<Response> {
  const location = job.ctx.location;
  if (res.internalRedirect !== undefined) {
    await drain(res);
    return { status: 200, headers: [], body: null, internalRedirect: res.internalRedirect };
  }
  if (!location.proxyInterceptErrors || res.status < 400) return res;
  if (!location.errorPages.has(res.status)) return res;
  closeBody(res.body);
  const kept = res.status === 401
    ? res.headers.filter(([name]) => name.toLowerCase() === "www-authenticate")
    : [];
  return { status: res.status, headers: kept, body: null };
}

/** Reads an answer's body to its end (so its connection may be kept), or gives it up. */
async function drain(res: Response): Promise<void> {
  const body = res.body;
  if (body !== null && !(body instanceof Uint8Array) && body.kind === "stream") {
    try {
      for await (const _ of body.chunks) { /* dropped */ }
    } catch {
      // The connection is closed by the body itself.
    }
  }
  closeBody(body);
}

function failure(
  reason: NextUpstream,
  code: 502 | 504,
  what: string,
  stage: string,
): Failure {
  const message = `${what} while ${stage} upstream`;
  return { kind: "failure", reason, status: code, message, sent: stage !== "connecting to" };
}

function attemptRecord(addr: string): UpstreamAttempt {
  return { addr, status: 502, connectMs: null, headerMs: null, responseMs: null };
}

function valueOf(head: ResponseHead, name: string): string | undefined {
  return head.headers.find(([n]) => n === name)?.[1];
}

function status(code: number): Response {
  return { status: code, headers: [], body: null };
}

/** nginx's error line, with `upstream: "http://…"` naming the server and the URI sent. */
function log(job: Job, message: string, addr: string): void {
  const { ctx, pass } = job;
  const separator = addr.startsWith("unix:") ? ":" : "";
  const upstream = `http://${addr}${separator}${upstreamUri(ctx, pass)}`;
  ctx.services.log.log("error", requestError(ctx, message, upstream));
}

/** "111: Connection refused", as nginx quotes errno. */
function systemError(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionRefused) return "111: Connection refused";
  if (e instanceof Deno.errors.ConnectionReset) return "104: Connection reset by peer";
  if (e instanceof Deno.errors.NotFound) return "2: No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "13: Permission denied";
  if (e instanceof Deno.errors.BrokenPipe) return "32: Broken pipe";
  if (e instanceof Deno.errors.AddrNotAvailable) return "99: Cannot assign requested address";
  return e instanceof Error ? e.message : String(e);
}
