/**
 * One connection to an upstream server: its input buffer, and reads and writes that each end
 * within a timeout (the shared deadline sweep closes a connection whose wait has passed it).
 */
import { type Expirable, unwatch, watch } from "../io/deadlines.ts";
import { InputBuffer } from "../io/input_buffer.ts";
import { ResponseHeadParser } from "./response_parser.ts";

const INITIAL_BUFFER = 16 * 1024;
/** The most an upstream's bytes take per connection: a head (8 KiB) and a body piece. */
const MAX_BUFFER = 64 * 1024;

/** The connection did not answer in time (proxy_connect/read/send_timeout). */
export class UpstreamTimeout extends Error {}

/** Where a server listens. */
export type Address = { host: string; port: number } | { path: string };

export class UpstreamConnection implements Expirable {
  readonly input: InputBuffer;
  /** The parser of the answers' heads, one after the other (it is ready again after each). */
  readonly parser = new ResponseHeadParser();
  deadline = Infinity;
  /** Requests sent on it (keepalive_requests). */
  requests = 0;
  #timedOut = false;
  #closed = false;

  private constructor(private readonly conn: Deno.Conn) {
    this.input = new InputBuffer((into) => conn.read(into), INITIAL_BUFFER, MAX_BUFFER);
  }

  /** Connects within `timeoutMs`; throws UpstreamTimeout, or the system's error (refused…). */
  static async open(address: Address, timeoutMs: number): Promise<UpstreamConnection> {
    const signal = AbortSignal.timeout(timeoutMs);
    let conn: Deno.Conn;
    try {
      if ("path" in address) {
        conn = await raceTimeout(Deno.connect({ transport: "unix", path: address.path }), signal);
      } else {
        const tcp = await Deno.connect({ hostname: address.host, port: address.port, signal });
        tcp.setNoDelay(true);
        conn = tcp;
      }
    } catch (e) {
      if (signal.aborted) throw new UpstreamTimeout("connect timed out");
      throw e;
    }
    return new UpstreamConnection(conn);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes every byte, each write within `timeoutMs`. */
  async write(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      off += await this.#timed(this.conn.write(bytes.subarray(off)), timeoutMs);
    }
  }

  /** One read into the input buffer within `timeoutMs`: the bytes added, or null at its end. */
  fill(timeoutMs: number): Promise<number | null> {
    this.input.compact();
    return this.#timed(this.input.fill(), timeoutMs);
  }

  /** Reads straight into `into` (a tunnel), within `timeoutMs`. */
  read(into: Uint8Array, timeoutMs: number): Promise<number | null> {
    return this.#timed(this.conn.read(into), timeoutMs);
  }

  closeWrite(): Promise<void> {
    return this.conn.closeWrite().catch(() => {});
  }

  expire(): void {
    this.#timedOut = true;
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unwatch(this);
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  async #timed<T>(op: Promise<T>, timeoutMs: number): Promise<T> {
    this.deadline = Date.now() + timeoutMs;
    watch(this);
    try {
      return await op;
    } catch (e) {
      if (this.#timedOut) throw new UpstreamTimeout("timed out");
      throw e;
    } finally {
      this.deadline = Infinity;
      unwatch(this);
    }
  }
}

/** The connect of a Unix socket, which takes no signal, raced against one. */
function raceTimeout<T extends Deno.Conn>(connect: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    connect.then((conn) => {
      signal.removeEventListener("abort", onAbort);
      // Connected after the timeout: nobody wants it any more.
      if (signal.aborted) conn.close();
      else resolve(conn);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}
