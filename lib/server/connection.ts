/**
 * One client connection: read bytes, parse heads, route, run the phases, write the response, then
 * the next request (keep-alive, pipelining). Timeouts and limits live here, not in the parser.
 */
import type { ServerConfig, Settings } from "../config/types.ts";
import { isDisconnect } from "../http/disconnect.ts";
import { errorResponse } from "../http/error_pages.ts";
import { HttpError } from "../http/errors.ts";
import { bodyFraming } from "../http/framing.ts";
import { type BodyLeft, keepAliveAfter } from "../http/keep_alive.ts";
import { getHeader, type RequestHead } from "../http/request.ts";
import { HeadParser } from "../http/request_parser.ts";
import { closeBody, isTunnel, type Response, type TunnelBody } from "../http/response.ts";
import { frameResponse, type ResponseFraming } from "../http/response_framing.ts";
import type { RequestState } from "../phases/context.ts";
import { runPhases } from "../phases/engine.ts";
import { formatLine } from "../log/log_format.ts";
import type { Sent, VariableScope } from "../variables/variables.ts";
import { route } from "../routing/route.ts";
import { ClientWatch } from "./client_watch.ts";
import { PIPELINE } from "./pipeline.ts";
import { type Expirable, unwatch, watch } from "../io/deadlines.ts";
import { InputBuffer } from "../io/input_buffer.ts";
import { type BodySource, RequestBody } from "./request_body.ts";
import { readyAnswer, type WriteOptions, writeResponse, type Written } from "./response_writer.ts";
import type { Site } from "./site.ts";

/**
 * A connection's own read buffer, all an idle keep-alive connection holds: a request head that does
 * not fit borrows bigger ones (doubling, from a pool), given back before the next idle wait.
 */
const INITIAL_BUFFER = 1024;
const BODY_BUFFER = 64 * 1024;
/** How long and how much a closing connection keeps reading so the client sees our answer. */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;

/** What the connection waits for, which decides what an expired deadline does. */
type Wait =
  /** An idle keep-alive connection, or a lingering close: end silently. */
  | "idle"
  /** A request head or body: answer 408, then close. */
  | "header"
  | "body"
  /** A write to the client: close. */
  | "send";

class TimedOut extends Error {}

/** A response as bytes ready to write (a cached file's), with what the log and the loop need. */
interface Ready {
  bytes: Uint8Array;
  written: Written;
  keepAlive: boolean;
}

/** What a log line reads of a request: the phases' context, or what a failed head gives. */
type LogScope = VariableScope & { location: Settings };

/** The head of a request that could not be parsed: $request is then "-". */
const NO_HEAD: RequestHead = {
  method: "",
  target: "",
  rawPath: "",
  query: "",
  minor: 1,
  headers: [],
};

/**
 * A client's connection as the driver uses it: a Deno.TcpConn, or a TLS connection whose
 * handshake is done (NodeTlsConn).
 */
export interface ClientConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(on: boolean): void;
}

/** Numbers connections for $connection, as nginx does. */
let connections = 0;

export class Connection implements Expirable, BodySource {
  readonly input: InputBuffer;
  deadline = Infinity;
  /** Settles when `serve()` has ended (set by the accept loop). */
  finished: Promise<void> = Promise.resolve();
  #wait: Wait = "idle";
  #timedOut = false;
  #closed = false;
  /** Waiting for a request with nothing of it received: shutdown may close at once. */
  #idle = false;
  #draining = false;
  /** The servers for the address the client connected to; the first is the default. */
  readonly #servers: ServerConfig[];
  /**
   * The settings whose body, send and keep-alive timeouts apply: the location that answered the
   * last request (as in nginx), the default server's until then.
   */
  #settings: Settings;
  /** Resumes where the previous read left the head: a trickled head costs linear time. */
  readonly #parser: HeadParser;
  /** For the log: this connection's number, its requests, and the current request's arrival. */
  readonly #number = ++connections;
  #requests = 0;
  #started = 0;
  #headBytes = 0;
  #pipelined = false;
  /** writeAll bound once, for the response writer (not a closure per response). */
  readonly #output = (bytes: Uint8Array): Promise<void> => this.writeAll(bytes);

  constructor(private readonly conn: ClientConn, private readonly site: Site) {
    this.#parser = new HeadParser(site.limits);
    this.#servers = site.byAddress.get(conn.localAddr.hostname) ?? site.servers;
    this.#settings = this.#servers[0]!;
    const maxBuffer = Math.max(2 * site.limits.maxHeadBytes, BODY_BUFFER);
    this.input = new InputBuffer((into) => conn.read(into), INITIAL_BUFFER, maxBuffer);
  }

  /** Serves requests until the client leaves, a timeout or an error ends the connection. */
  async serve(): Promise<void> {
    watch(this);
    try {
      this.conn.setNoDelay?.(true);
      await this.#loop();
    } catch (e) {
      if (!(e instanceof TimedOut) && !isDisconnect(e) && !this.#closed) {
        this.site.services.log.report("error", `Connection failed: ${e}`, this.#remote());
      }
    } finally {
      unwatch(this);
      this.#close();
    }
  }

  /** Shutdown: close now if idle, else after the response in progress. */
  drain(): void {
    this.#draining = true;
    if (this.#idle) this.#close();
  }

  /** Closes at once, whatever is in progress. */
  abort(): void {
    this.#close();
  }

  expire(): void {
    this.#timedOut = true;
    if (this.#wait === "header" || this.#wait === "body") {
      // The read is still pending; answer 408 beside it, then close.
      const res = errorResponse(408);
      const options = { keepAlive: false, minor: 1, serverTokens: this.#settings.serverTokens };
      writeResponse((b) => this.#writeRaw(b), res, frameResponse(res, 1, false), options)
        .catch(() => {}).finally(() => this.#close());
    } else {
      this.#close();
    }
  }

  /**
   * The request loop. The hot path (a head read, a cached file's answer written) awaits the socket
   * here and in #handle, not through helpers: each async call between a read and the next costs a
   * turn of the event loop per request.
   */
  async #loop(): Promise<void> {
    const input = this.input;
    const most = this.site.limits.keepaliveRequests;
    for (let served = 0; served < most; served++) {
      let headDeadline = 0;
      this.#started = 0;
      this.#pipelined = served > 0 && input.pending > 0;
      let head: RequestHead;
      for (;;) {
        if (this.#started === 0 && input.pending > 0) this.#started = Date.now();
        const parsed = this.#parseHead();
        if (parsed !== null) {
          if ("status" in parsed) return await this.#fail(parsed.status, parsed.message);
          head = parsed;
          break;
        }
        const idle = input.pending === 0;
        if (idle && this.#draining) return;
        if (idle && served > 0) {
          input.shrink();
          this.#expect("idle", Date.now() + this.#settings.keepaliveTimeout);
        } else {
          // The whole head must arrive within client_header_timeout (the default server's, as in
          // nginx: the Host is not known yet), however it trickles in.
          headDeadline ||= Date.now() + this.#servers[0]!.clientHeaderTimeout;
          this.#expect("header", headDeadline);
        }
        this.#idle = idle;
        let n: number | null;
        try {
          n = await input.fill();
        } catch (e) {
          throw this.#failure(e);
        } finally {
          this.#idle = false;
          this.deadline = Infinity;
        }
        if (n === null) return;
      }
      if (!(await this.#handle(head, served + 1 < most))) return;
    }
  }

  /** The head in the input, the error to answer, or null while it is incomplete (within limits). */
  #parseHead(): RequestHead | { status: number; message: string } | null {
    const { limits } = this.site;
    const input = this.input;
    if (input.pending === 0) return null;
    const r = this.#parser.parse(input.buf, input.start, input.end);
    if (r.kind === "error") return r;
    if (r.kind === "complete") {
      // A head that arrived whole in one read is held to the same limits as a partial one.
      if (r.head.method.length + r.head.target.length + 10 > limits.maxRequestLine) {
        return { status: 414, message: "Request line too long" };
      }
      if (r.consumed > limits.maxHeadBytes) {
        return { status: 431, message: "Request header section too large" };
      }
      input.consume(r.consumed);
      this.#headBytes = r.consumed;
      this.#requests++;
      return r.head;
    }
    if (r.inRequestLine && input.pending > limits.maxRequestLine) {
      return { status: 414, message: "Request line too long" };
    }
    if (input.pending > limits.maxHeadBytes) {
      return { status: 431, message: "Request header section too large" };
    }
    return null;
  }

  /**
   * Answers one request; true when the connection stays open for the next. `another`: the
   * connection may serve another request (keepalive_requests).
   */
  async #handle(head: RequestHead, another: boolean): Promise<boolean> {
    const framing = bodyFraming(head);
    if (framing.kind === "error") {
      await this.#fail(framing.status, framing.message, head);
      return false;
    }
    const routed = route(this.#servers, head);
    if ("status" in routed) {
      await this.#fail(routed.status, routed.message, head);
      return false;
    }
    this.#settings = routed.location;
    const expect = getHeader(head, "expect");
    if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
      await this.#fail(417, `Unsupported expectation "${expect}"`, head);
      return false;
    }
    const body = new RequestBody(
      this,
      framing,
      routed.location.clientMaxBodySize,
      expect !== undefined && head.minor >= 1,
    );
    // Scripts are killed when their client leaves: once one is to run, watch for that until its
    // output is sent. (Made when first asked for: most requests never ask.)
    let watch = null as ClientWatch | null;
    const limits = this.site.limits;
    const state: RequestState = { done: [], limitedReq: false, limitedConn: false, upstream: [] };
    let sent: boolean;
    try {
      // The route's fields named one by one: an object literal of one shape, cheaper than a spread.
      const answered = runPhases({
        server: routed.server,
        host: routed.host,
        path: routed.path,
        location: routed.location,
        captures: routed.captures,
        head,
        body,
        remote: this.conn.remoteAddr,
        local: this.conn.localAddr,
        connection: this.#number,
        secure: this.site.tls,
        services: this.site.services,
        state,
        clientGone: () => (watch ??= new ClientWatch(this.input)).signal,
      }, PIPELINE);
      // Awaited only when it is a promise (a cached file is answered synchronously).
      const { res, ctx } = answered instanceof Promise ? await answered : answered;
      // Aborted meanwhile (shutdown, reload grace): nothing is written, but what the body holds
      // (an open file, a running script) is released.
      if (this.#closed) {
        closeBody(res.body);
        return false;
      }
      // The timeouts of the location that answered apply from now on.
      this.#settings = ctx.location;
      const received = body.received;
      const out = this.#respond(res, head, ctx, {
        another,
        left: body.left(limits.maxDiscardBytes),
        received,
      });
      if (out instanceof Promise) sent = await out;
      else {
        // The hot path: a cached file's bytes, written from here (#sendReady for other callers).
        const n = await this.#write(out.bytes);
        if (n < out.bytes.length) await this.writeAll(out.bytes.subarray(n));
        this.#log(ctx, res.status, out.written, received);
        sent = out.keepAlive;
      }
    } finally {
      watch?.stop();
      for (const done of state.done) done();
    }
    if (!sent) {
      if (!body.done) await this.#linger();
      return false;
    }
    if (body.done) return true;
    try {
      return await body.discard(limits.maxDiscardBytes);
    } catch (e) {
      // A body that ends early or badly after the answer only ends the connection.
      if (e instanceof HttpError || isDisconnect(e) || e instanceof TimedOut) return false;
      throw e;
    }
  }

  /**
   * Frames a response and decides whether the connection stays open (keepAliveAfter: the one place
   * that does). A cached file's answer comes back as bytes ready to write, for the caller to write
   * and log (#sendReady); any other is written and logged here: true when the connection stays open.
   */
  #respond(
    res: Response,
    head: RequestHead | null,
    scope: LogScope,
    request: { another: boolean; left: BodyLeft; received: number },
  ): Ready | Promise<boolean> {
    const settings = scope.location;
    const minor = head?.minor ?? 1;
    const framing = frameResponse(res, minor, head?.method === "HEAD");
    const keepAlive = keepAliveAfter({
      head,
      another: request.another,
      keepaliveTimeout: settings.keepaliveTimeout,
      draining: this.#draining,
      status: res.status,
      bodyLeft: request.left,
      closeDelimited: framing.kind === "close",
    });
    const options = { keepAlive, minor, serverTokens: settings.serverTokens };
    if (isTunnel(res.body)) return this.#tunnel(res.body, res, scope, options, request);
    const ready = readyAnswer(res, framing, options);
    if (ready !== null) return { bytes: ready.bytes, written: ready.written, keepAlive };
    return this.#send(res, framing, options, scope, request.received);
  }

  /** Writes and logs a ready answer (#respond's); true when the connection stays open. */
  async #sendReady(out: Ready, scope: LogScope, status: number, received: number) {
    await this.writeAll(out.bytes);
    this.#log(scope, status, out.written, received);
    return out.keepAlive;
  }

  /** Writes and logs an answer that is not ready bytes (a file, a stream, a fresh head). */
  async #send(
    res: Response,
    framing: ResponseFraming,
    options: WriteOptions,
    scope: LogScope,
    received: number,
  ): Promise<boolean> {
    const written = await writeResponse(this.#output, res, framing, options);
    this.#log(scope, res.status, written, received);
    return options.keepAlive;
  }

  /**
   * An upgraded connection (101): the head, then bytes relayed both ways until the tunnel ends
   * (bytes already received after the request's head go first); the connection then closes.
   */
  async #tunnel(
    tunnel: TunnelBody,
    res: Response,
    scope: LogScope,
    options: { keepAlive: boolean; minor: number; serverTokens: boolean },
    request: { received: number },
  ): Promise<false> {
    try {
      const head = { ...res, body: null };
      const written = await writeResponse(this.#output, head, {
        kind: "none",
        contentLength: null,
      }, {
        ...options,
        keepAlive: false,
      });
      this.#log(scope, res.status, written, request.received);
      const input = this.input;
      await tunnel.run({
        read: async () => {
          if (input.pending === 0) {
            input.compact();
            if ((await input.fill()) === null) return null;
          }
          const bytes = input.buf.slice(input.start, input.end);
          input.consume(bytes.length);
          return bytes;
        },
        write: this.#output,
        closeWrite: () => this.conn.closeWrite().catch(() => {}),
      });
    } finally {
      tunnel.close();
    }
    return false;
  }

  /** Answers an error that ends the connection (bad head, bad framing, no route). */
  async #fail(status: number, message: string, head?: RequestHead): Promise<void> {
    if (this.#closed) return;
    const res = errorResponse(status);
    const scope: LogScope = {
      head: head ?? NO_HEAD,
      path: head?.rawPath ?? "",
      host: "",
      local: this.conn.localAddr,
      remote: this.conn.remoteAddr,
      server: this.#servers[0]!,
      location: { ...this.#settings, alias: null },
    };
    const out = this.#respond(res, head ?? null, scope, {
      another: false,
      left: "unread",
      received: 0,
    });
    await (out instanceof Promise ? out : this.#sendReady(out, scope, res.status, 0));
    // A client's mistake is not the server's problem: `info`, below the default level (nginx).
    this.site.services.log.log("info", `${this.#remote()}: ${status} ${message}`);
    await this.#linger();
  }

  /**
   * Before a read or a write: what the connection waits for and by when (ms since the epoch); a
   * read gets room in the buffer first.
   */
  #expect(wait: Wait, deadline: number): void {
    if (wait !== "send") this.input.compact();
    this.#wait = wait;
    this.deadline = deadline;
  }

  /** What a failed read or write throws: the timeout it was, or its own error. */
  #failure(e: unknown): unknown {
    if (!this.#timedOut) return e;
    return this.#wait === "body" ? new HttpError(408, "Body read timed out") : new TimedOut();
  }

  async fillBody(): Promise<boolean> {
    this.input.ensureSize(BODY_BUFFER);
    // client_body_timeout is the longest wait between two reads, as in nginx.
    this.#expect("body", Date.now() + this.#settings.clientBodyTimeout);
    try {
      return (await this.input.fill()) !== null;
    } catch (e) {
      throw this.#failure(e);
    } finally {
      this.deadline = Infinity;
    }
  }

  /** Writes all bytes, each write within the send timeout. */
  async writeAll(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) off += await this.#write(bytes.subarray(off));
  }

  /** One write within the send timeout: the number of bytes written. */
  async #write(bytes: Uint8Array): Promise<number> {
    this.#expect("send", Date.now() + this.#settings.sendTimeout);
    try {
      return await this.conn.write(bytes);
    } catch (e) {
      throw this.#failure(e);
    } finally {
      this.deadline = Infinity;
    }
  }

  /** A write outside the request flow (the 408 of an expired read), with no deadline of its own. */
  async #writeRaw(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  /**
   * Lingering close (nginx's): stop sending, then read and drop what the client still sends for a
   * short while, so that it reads our answer instead of a reset.
   */
  async #linger(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.input.settled();
      await this.conn.closeWrite();
      const until = Date.now() + LINGER_MS;
      const scratch = this.input.buf;
      let dropped = 0;
      while (dropped < LINGER_BYTES && Date.now() < until) {
        this.#wait = "idle";
        this.deadline = until;
        const n = await this.conn.read(scratch);
        if (n === null) break;
        dropped += n;
      }
    } catch {
      // The client went away or the linger timed out: either way the connection is done.
    } finally {
      this.deadline = Infinity;
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  #remote(): string {
    return this.conn.remoteAddr.hostname;
  }

  /** One line in each of the location's access logs, in its format. */
  #log(scope: LogScope, status: number, written: Written, received: number): void {
    const logs = scope.location.accessLogs;
    if (logs.length === 0) return;
    const sent: Sent = {
      status,
      bytes: written.total,
      bodyBytes: written.body,
      startMs: this.#started || Date.now(),
      requestLength: this.#headBytes + received,
      connection: this.#number,
      connectionRequests: this.#requests,
      pipelined: this.#pipelined,
    };
    const withSent = { ...scope, sent };
    for (const { path, format } of logs) {
      this.site.accessLogs.get(path)?.write(formatLine(format, withSent));
    }
  }
}
