/**
 * Upstream servers for the proxy tests, each on an ephemeral loopback port: an HTTP app
 * (Deno.serve), Python's http.server, and raw TCP servers that answer with exactly the bytes a
 * test gives them (slow, resetting, dying mid-body, smuggling-style framing).
 */

export interface Upstream {
  port: number;
  /** What the upstream saw: one entry per request (raw servers: per connection). */
  seen: string[];
  close(): Promise<void>;
}

/** A Deno.serve app answering with `handler`; it records each request's line and headers. */
export function appUpstream(handler: (req: Request) => Response | Promise<Response>): Upstream {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    const headers = [...req.headers].map(([n, v]) => `${n}: ${v}`).join("\n");
    seen.push(`${req.method} ${url.pathname}${url.search}\n${headers}`);
    return handler(req);
  });
  return { port: server.addr.port, seen, close: () => server.shutdown() };
}

/**
 * A TCP server whose every connection is handed to `serve` (which reads the request itself and
 * writes what it wants); connections are closed when `serve` returns.
 */
export function rawUpstream(
  serve: (conn: Deno.TcpConn, seen: string[]) => Promise<void>,
): Upstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const conns = new Set<Deno.TcpConn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn, seen).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch {
          // closed by serve
        }
      });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    seen,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await accepting;
    },
  };
}

const decoder = new TextDecoder();

/** Reads one request head (up to the blank line) from a raw connection; "" at end of stream. */
export async function readRequestHead(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) return "";
    text += decoder.decode(buf.subarray(0, n));
  }
  return text;
}

export async function writeText(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** A port nothing listens on (bound, then closed). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
