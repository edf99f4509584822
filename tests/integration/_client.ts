/** A raw HTTP/1.1 client over Deno.connect for protocol tests: send bytes, read whole responses. */

export interface RawResponse {
  status: number;
  reason: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  /** Every header line as sent, in order. */
  headerLines: [string, string][];
  body: Uint8Array;
  text: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOfCrlfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** A connection that reads responses one at a time. */
export class RawClient {
  #buf = new Uint8Array(0);
  #eof = false;

  private constructor(readonly conn: Deno.TcpConn | Deno.UnixConn) {}

  /** Connects to a TCP port on loopback, or to a Unix socket given as `{ path }`. */
  static async connect(
    to: number | { path: string },
    hostname = "127.0.0.1",
  ): Promise<RawClient> {
    if (typeof to === "number") return new RawClient(await Deno.connect({ hostname, port: to }));
    return new RawClient(await Deno.connect({ transport: "unix", path: to.path }));
  }

  /** Turns Nagle off, so that each small send leaves at once (TCP only). */
  noDelay(): void {
    if ("setNoDelay" in this.conn) this.conn.setNoDelay(true);
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  /** Reads more bytes; false at end of stream (or a reset, which counts as the end). */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(65536);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch (e) {
      if (e instanceof Deno.errors.ConnectionReset) n = null;
      else throw e;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  /** Reads one response; `head: true` when it answers a HEAD request (no body follows). */
  async read(options: { head?: boolean } = {}): Promise<RawResponse> {
    let end: number;
    while ((end = indexOfCrlfCrlf(this.#buf, 0)) === -1) {
      if (!(await this.#more())) {
        throw new Error(`Connection closed before a response head: "${decoder.decode(this.#buf)}"`);
      }
    }
    const headText = decoder.decode(this.#buf.subarray(0, end));
    this.#buf = this.#buf.subarray(end + 4);
    const [statusLine, ...lines] = headText.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine ?? "");
    if (m === null) throw new Error(`Bad status line "${statusLine}"`);
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    const headerLines: [string, string][] = [];
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      headerLines.push([name, value]);
      const key = name.toLowerCase();
      headers.set(key, headers.has(key) ? `${headers.get(key)}, ${value}` : value);
    }
    let body: Uint8Array;
    if (options.head || status < 200 || status === 204 || status === 304) {
      body = new Uint8Array(0);
    } else if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
      body = await this.#readChunked();
    } else if (headers.has("content-length")) {
      body = await this.#take(Number(headers.get("content-length")));
    } else {
      while (await this.#more());
      body = this.#buf;
      this.#buf = new Uint8Array(0);
    }
    return { status, reason: m[2] ?? "", headers, headerLines, body, text: decoder.decode(body) };
  }

  async #take(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.#more())) {
        throw new Error(`Connection closed ${n - this.#buf.length} bytes short`);
      }
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  async #line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf(10);
      if (i !== -1) {
        const line = decoder.decode(this.#buf.subarray(0, i)).replace(/\r$/, "");
        this.#buf = this.#buf.subarray(i + 1);
        return line;
      }
      if (!(await this.#more())) throw new Error("Connection closed inside a chunked body");
    }
  }

  async #readChunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const size = parseInt(await this.#line(), 16);
      if (size === 0) break;
      parts.push(await this.#take(size));
      await this.#take(2);
    }
    while ((await this.#line()) !== "");
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /**
   * Resolves true once the server has closed the connection (end of stream or reset), false when
   * it is still open after `withinMs` (the connection is then closed by the client). Bytes that
   * arrive meanwhile are kept (see `leftover`).
   */
  async closedByServer(withinMs = 10_000): Promise<boolean> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, withinMs);
    try {
      while (await this.#more());
    } catch (e) {
      if (!timedOut) throw e;
    } finally {
      clearTimeout(timer);
    }
    return !timedOut;
  }

  /** Bytes received and not yet read as a response. */
  get leftover(): string {
    return decoder.decode(this.#buf);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Sends raw bytes on a new connection and reads one response. */
export async function rawRequest(
  port: number,
  data: string | Uint8Array,
  options: { head?: boolean } = {},
): Promise<RawResponse> {
  const client = await RawClient.connect(port);
  try {
    await client.send(data);
    return await client.read(options);
  } finally {
    client.close();
  }
}
