/**
 * One client connection: read bytes, parse heads, route, let a handler answer, write the response,
 * then the next request (keep-alive, pipelining). Timeouts and limits live here, not in the parser.
 */
import type { ServerConfig } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import { bodyFraming } from "../http/framing.ts";
import { getHeader, type RequestHead } from "../http/request.ts";
import { requestHost } from "../http/request_host.ts";
import { wantsKeepAlive } from "../http/keep_alive.ts";
import type { Response } from "../http/response.ts";
import { parseRequestHead } from "../http/request_parser.ts";
import { errorResponse } from "../handlers/error_page.ts";
import { decodePath } from "../routing/resolve_path.ts";
import { matchLocation } from "../routing/match_location.ts";
import { selectServer } from "../routing/select_server.ts";
import { type Expirable, unwatch, watch } from "./deadlines.ts";
import { isDisconnect } from "./disconnect.ts";
import { dispatch } from "./dispatch.ts";
import { type InputBuffer, RequestBody } from "./request_body.ts";
import { writeResponse, type WriteResult } from "./response_writer.ts";
import type { Site } from "./site.ts";

const INITIAL_BUFFER = 16 * 1024;
const BODY_BUFFER = 64 * 1024;
/** How long and how much a closing connection keeps reading so the client sees our answer. */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;

/** What an expiring deadline does: end silently, or answer 408 first. */
type Wait = "idle" | "header" | "body" | "send";

class TimedOut extends Error {}

export class Connection implements Expirable, InputBuffer {
  buf = new Uint8Array(INITIAL_BUFFER);
  start = 0;
  end = 0;
  deadline = Infinity;
  /** Settles when `serve()` has ended (set by the accept loop). */
  finished: Promise<void> = Promise.resolve();
  #wait: Wait = "idle";
  #timedOut = false;
  #closed = false;
  /** Waiting for a request with nothing of it received: shutdown may close at once. */
  #idle = false;
  #draining = false;
  /** A read into buf[end..] already under way (shared, so that bytes are counted once). */
  #inflight: Promise<number | null> | null = null;
  /** The servers for the address the client connected to; the first is the default. */
  #servers: ServerConfig[];
  /** The server whose timeouts apply (the default one until the Host is known). */
  #server: ServerConfig;

  constructor(private readonly conn: Deno.TcpConn, private readonly site: Site) {
    this.#servers = site.byAddress.get(conn.localAddr.hostname) ?? site.servers;
    this.#server = this.#servers[0]!;
  }

  /** Serves requests until the client leaves, a timeout or an error ends the connection. */
  async serve(): Promise<void> {
    watch(this);
    try {
      this.conn.setNoDelay(true);
      await this.#loop();
    } catch (e) {
      if (!(e instanceof TimedOut) && !isDisconnect(e) && !this.#closed) {
        console.error(`webserv: connection from ${this.#remote()}: ${e}`);
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
    const wait = this.#wait;
    if (wait === "header" || wait === "body") {
      // The read is still pending; answer 408 beside it, then close.
      const res = errorResponse(408);
      writeResponse((b) => this.#writeRaw(b), { ...res, close: true }, {
        head: false,
        keepAlive: false,
        minor: 1,
      }).catch(() => {}).finally(() => this.#close());
    } else {
      this.#close();
    }
  }

  async #loop(): Promise<void> {
    const most = this.site.limits.keepaliveRequests;
    for (let served = 0; served < most; served++) {
      const head = await this.#readHead(served === 0);
      if (head === null || !(await this.#handle(head, served + 1 < most))) return;
    }
  }

  /** Reads until a whole head is parsed; answers head errors itself and then returns null. */
  async #readHead(first: boolean): Promise<RequestHead | null> {
    const { limits } = this.site;
    const timeouts = this.#servers[0]!.timeouts;
    let headDeadline = 0;
    for (;;) {
      if (this.end > this.start) {
        const r = parseRequestHead(this.buf, this.start, this.end, limits);
        if (r.kind === "complete") {
          // A head that arrived whole in one read is held to the same limits as a partial one.
          if (r.head.method.length + r.head.target.length + 10 > limits.maxRequestLine) {
            await this.#fail(414, "Request line too long");
            return null;
          }
          if (r.consumed > limits.maxHeadBytes) {
            await this.#fail(431, "Request header section too large");
            return null;
          }
          this.start += r.consumed;
          return r.head;
        }
        if (r.kind === "error") {
          await this.#fail(r.status, r.message);
          return null;
        }
        const pending = this.end - this.start;
        if (r.inRequestLine && pending > limits.maxRequestLine) {
          await this.#fail(414, "Request line too long");
          return null;
        }
        if (pending > limits.maxHeadBytes) {
          await this.#fail(431, "Request header section too large");
          return null;
        }
      }
      const idle = this.end === this.start;
      if (idle && this.#draining) return null;
      this.#idle = idle;
      let deadline: number;
      if (idle && !first) {
        deadline = Date.now() + timeouts.keepalive;
      } else {
        // The whole head must arrive within client_header_timeout, however it trickles in.
        headDeadline ||= Date.now() + timeouts.clientHeader;
        deadline = headDeadline;
      }
      const more = await this.#fill(deadline, idle && !first ? "idle" : "header")
        .finally(() => this.#idle = false);
      if (!more) return null;
    }
  }

  /**
   * Answers one request; true when the connection stays open for the next. `another`: the
   * connection may serve another request (keepalive_requests).
   */
  async #handle(head: RequestHead, another: boolean): Promise<boolean> {
    const framing = bodyFraming(head);
    if (framing.kind === "error") return await this.#fail(framing.status, framing.message, head);
    let keepAlive = another && wantsKeepAlive(head);
    const host = requestHost(head);
    if (host === null) return await this.#fail(400, "Missing or invalid Host header", head);
    const server = selectServer(this.#servers, host);
    this.#server = server;
    // `keepalive_timeout 0` turns keep-alive off, as in nginx.
    if (server.timeouts.keepalive === 0) keepAlive = false;
    const path = decodePath(head.rawPath);
    if (path === null) return await this.#fail(400, `Invalid request path "${head.rawPath}"`, head);
    const location = matchLocation(server, path);
    const expect = getHeader(head, "expect");
    if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
      return await this.#fail(417, `Unsupported expectation "${expect}"`, head);
    }
    const body = new RequestBody(
      this,
      framing,
      location.clientMaxBodySize,
      expect !== undefined && head.minor >= 1,
    );
    // Scripts are killed when their client leaves: watch for it where they may run.
    const watch = location.cgi.size > 0 ? this.#watchClient() : null;
    let res: Response;
    let sent: WriteResult;
    try {
      res = await dispatch({
        head,
        body,
        path,
        server,
        location,
        remote: this.conn.remoteAddr,
        local: this.conn.localAddr,
        host,
        clientGone: watch?.signal,
      });
      // An unread body the client was never asked for cannot be skipped reliably: close.
      if (!body.done && !body.continueSent) keepAlive = false;
      if (this.#closed) return false;
      sent = await writeResponse((b) => this.writeAll(b), res, {
        head: head.method === "HEAD",
        keepAlive: keepAlive && !this.#draining,
        minor: head.minor,
      });
    } finally {
      watch?.stop();
    }
    this.#log(server, head, res.status, sent.bytes);
    if (!sent.keepAlive) {
      if (!body.done) await this.#linger();
      return false;
    }
    if (body.done) return true;
    try {
      return await body.discard(this.site.limits.maxDiscardBytes);
    } catch (e) {
      // A body that ends early or badly after the answer only ends the connection.
      if (e instanceof HttpError || isDisconnect(e) || e instanceof TimedOut) return false;
      throw e;
    }
  }

  /** Answers an error that ends the connection (bad head, bad framing). */
  async #fail(status: number, message: string, head?: RequestHead): Promise<false> {
    if (this.#closed) return false;
    const res = { ...errorResponse(status), close: true };
    const sent = await writeResponse((b) => this.writeAll(b), res, {
      head: head?.method === "HEAD",
      keepAlive: false,
      minor: head?.minor ?? 1,
    });
    this.#log(this.#server, head ?? null, status, sent.bytes);
    if (status !== 408) console.error(`webserv: ${this.#remote()}: ${status} ${message}`);
    await this.#linger();
    return false;
  }

  /** Reads more bytes into the buffer by `deadline` (ms since the epoch); false when the client closed. */
  async #fill(deadline: number, wait: Wait): Promise<boolean> {
    if (this.#inflight === null) this.#makeRoom();
    this.#wait = wait;
    this.deadline = deadline;
    try {
      return (await this.#readMore()) !== null;
    } catch (e) {
      if (this.#timedOut) {
        throw wait === "body" ? new HttpError(408, "Body read timed out") : new TimedOut();
      }
      throw e;
    } finally {
      this.deadline = Infinity;
    }
  }

  /** Makes room after `end`: reset when empty, move the unread bytes down, or grow when full. */
  #makeRoom(): void {
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.end === this.buf.length) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
      }
    }
  }

  /** One read into buf[end..], shared by whoever waits for it; null at end of stream. */
  #readMore(): Promise<number | null> {
    this.#inflight ??= this.conn.read(this.buf.subarray(this.end)).then((n) => {
      this.#inflight = null;
      if (n !== null) this.end += n;
      return n;
    }, (e) => {
      this.#inflight = null;
      throw e;
    });
    return this.#inflight;
  }

  /**
   * Reads ahead while a request is handled, to notice a client that leaves (the signal aborts);
   * what arrives meanwhile (a pipelined request) stays in the buffer. Stops when the buffer is full.
   */
  #watchClient(): { signal: AbortSignal; stop(): void } {
    const controller = new AbortController();
    let active = true;
    (async () => {
      try {
        while (active && this.end < this.buf.length) {
          if ((await this.#readMore()) === null) break;
        }
        if (active && this.end < this.buf.length) controller.abort();
      } catch {
        if (active) controller.abort();
      }
    })();
    return { signal: controller.signal, stop: () => active = false };
  }

  fillBody(): Promise<boolean> {
    if (this.#inflight === null && this.start === this.end && this.buf.length < BODY_BUFFER) {
      this.buf = new Uint8Array(BODY_BUFFER);
      this.start = this.end = 0;
    }
    // client_body_timeout is the longest wait between two reads, as in nginx.
    return this.#fill(Date.now() + this.#server.timeouts.clientBody, "body");
  }

  /** Writes all bytes, each write within the send timeout. */
  async writeAll(bytes: Uint8Array): Promise<void> {
    const timeout = this.#server.timeouts.send;
    try {
      for (let off = 0; off < bytes.length;) {
        this.#wait = "send";
        this.deadline = Date.now() + timeout;
        off += await this.conn.write(bytes.subarray(off));
      }
    } catch (e) {
      if (this.#timedOut) throw new TimedOut();
      throw e;
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
      await this.#inflight;
      await this.conn.closeWrite();
      const until = Date.now() + LINGER_MS;
      let dropped = 0;
      while (dropped < LINGER_BYTES && Date.now() < until) {
        this.#wait = "idle";
        this.deadline = until;
        const n = await this.conn.read(this.buf);
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

  #log(
    server: ServerConfig,
    head: RequestHead | null,
    status: number,
    bytes: number,
  ): void {
    const log = this.site.accessLogs.get(server);
    if (log === undefined) return;
    log.log({
      remote: this.#remote(),
      requestLine: head === null ? "-" : `${head.method} ${head.target} HTTP/1.${head.minor}`,
      status,
      bytes,
      referer: head === null ? "" : getHeader(head, "referer") ?? "",
      userAgent: head === null ? "" : getHeader(head, "user-agent") ?? "",
    });
  }
}
