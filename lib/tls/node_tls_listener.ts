/**
 * A TLS listener over `node:tls`, giving the connection driver what a `Deno.Conn` gives it
 * (read into a buffer, write, closeWrite, close, the addresses).
 *
 * Why not `Deno.listenTls`: in Deno 2.9.6 a TLS connection closed before its handshake completed
 * keeps its TCP socket open until the client sends something or closes — a client that connects
 * and stays silent holds a descriptor for ever, and enough of them exhaust the server's. Here
 * the TCP socket is the server's own: a handshake that does not finish within
 * `ssl_handshake_timeout` is destroyed with it. node:tls also asks for the certificate on every
 * handshake (SNICallback), so a renewed certificate is served at once, with no new listener.
 */
import type net from "node:net";
import tls from "node:tls";
import type { KeyPair } from "./certificates.ts";

/** Reads stop being taken from the socket once this much is buffered (back-pressure). */
const HIGH_WATER = 64 * 1024;

/** The longest a closing connection waits for its close_notify to be sent. */
const CLOSE_NOTIFY_MS = 1000;

/** A TLS connection after its handshake, with the parts of Deno.Conn the driver uses. */
export class NodeTlsConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: tls.TLSSocket;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | null = null;
  #waiting: (() => void) | null = null;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    socket.on("data", (chunk: Uint8Array) => {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued >= HIGH_WATER) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (e: Error) => {
      this.#error ??= e;
      this.#wake();
    });
  }

  /** Copies the next bytes into `into`: their number, or null at the end of the stream. */
  async read(into: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#error !== null) throw disconnect(this.#error);
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiting = resolve);
    }
    const chunk = this.#queue[0]!;
    const n = Math.min(chunk.length, into.length);
    into.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#queue.shift();
    else this.#queue[0] = chunk.subarray(n);
    this.#queued -= n;
    if (this.#queued < HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  /** Writes all of `bytes`; resolves once they are handed to the socket's kernel buffer. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(disconnect(this.#error));
    if (this.#socket.destroyed) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (e?: Error | null) => {
        if (e) reject(disconnect(e));
        else resolve(bytes.length);
      });
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  /**
   * Ends the session as nginx does: a TLS close_notify after what is written (without it, a
   * client cannot tell a complete response from a cut one), then the socket is destroyed once
   * that is sent, or after CLOSE_NOTIFY_MS when the client does not read.
   */
  close(): void {
    const socket = this.#socket;
    this.#ended = true;
    this.#wake();
    if (socket.destroyed) return;
    if (this.#error !== null || !socket.writable) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), CLOSE_NOTIFY_MS);
    socket.once("close", () => clearTimeout(timer));
    socket.end(() => socket.destroy());
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }
}

/** A node socket error as the Deno error the driver knows means "the client went away". */
function disconnect(e: Error): Error {
  const code = (e as { code?: string }).code;
  if (code === "ECONNRESET") return new Deno.errors.ConnectionReset(e.message);
  return new Deno.errors.BrokenPipe(e.message);
}

function netAddr(address: string | undefined, port: number | undefined): Deno.NetAddr {
  const hostname = (address ?? "").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  return { transport: "tcp", hostname, port: port ?? 0 };
}

/** What the listener is told about a handshake that failed (for the error log, at `info`). */
export type HandshakeFailure = (remote: string, why: string) => void;

export interface NodeTlsOptions {
  hostname: string;
  port: number;
  /** Share the port with other processes (SO_REUSEPORT). */
  reusePort?: boolean;
  /** The certificate for a handshake asking for `sni` ("" when it names none). */
  certificate(sni: string): KeyPair;
  handshakeTimeoutMs: number;
  onFailure: HandshakeFailure;
}

/** A listening TLS socket handing out connections whose handshake is done, as accept() does. */
export class NodeTlsListener {
  readonly #server: tls.Server;
  readonly #ready: NodeTlsConn[] = [];
  #waiting: ((conn: NodeTlsConn | null) => void) | null = null;
  #closed = false;
  /** Contexts made for certificates already seen, by their PEM (a renewal makes a new one). */
  readonly #contexts = new Map<string, tls.SecureContext>();
  #addr: Deno.NetAddr;

  private constructor(server: tls.Server, addr: Deno.NetAddr) {
    this.#server = server;
    this.#addr = addr;
  }

  /** Binds and listens; rejects when the address cannot be bound. */
  static async listen(options: NodeTlsOptions): Promise<NodeTlsListener> {
    let listener: NodeTlsListener | null = null;
    const server = tls.createServer({
      handshakeTimeout: options.handshakeTimeoutMs,
      ALPNProtocols: ["http/1.1"],
      SNICallback: (sni, done) => {
        try {
          done(null, listener!.#context(options.certificate(sni ?? "")));
        } catch (e) {
          done(e as Error);
        }
      },
    }, (socket) => listener!.#accepted(new NodeTlsConn(socket)));
    server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
      options.onFailure(socket.remoteAddress ?? "", e.message);
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        { host: options.hostname, port: options.port, reusePort: options.reusePort },
        () => {
          server.off("error", reject);
          resolve();
        },
      );
    });
    const bound = server.address() as net.AddressInfo;
    listener = new NodeTlsListener(server, {
      transport: "tcp",
      hostname: bound.address,
      port: bound.port,
    });
    return listener;
  }

  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  /** The next connection, or a BadResource error once the listener is closed. */
  async accept(): Promise<NodeTlsConn> {
    const next = this.#ready.shift() ??
      (this.#closed ? null : await new Promise<NodeTlsConn | null>((r) => this.#waiting = r));
    if (next === null) throw new Deno.errors.BadResource("Listener has been closed");
    return next;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#ready.splice(0)) conn.close();
    this.#waiting?.(null);
    this.#waiting = null;
  }

  #accepted(conn: NodeTlsConn): void {
    if (this.#closed) return conn.close();
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting !== null) waiting(conn);
    else this.#ready.push(conn);
  }

  #context(pair: KeyPair): tls.SecureContext {
    const key = pair.cert + pair.key;
    let context = this.#contexts.get(key);
    if (context === undefined) {
      context = tls.createSecureContext({ cert: pair.cert, key: pair.key });
      this.#contexts.set(key, context);
    }
    return context;
  }
}
