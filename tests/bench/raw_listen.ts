/**
 * The Deno ceiling for the bench: a bare `Deno.listen` loop answering every request head with the
 * same 1 KiB response (the head a file server sends, and 1 KiB of bytes), one reused read buffer
 * per connection and one write per response. No parsing, routing or files: what any server on
 * Deno pays for the socket operations alone. Prints `listening on http://127.0.0.1:PORT/`.
 */
const body = new Uint8Array(1024).fill(97);
const head = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nServer: raw\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n" +
    "Content-Type: application/octet-stream\r\nContent-Length: 1024\r\n" +
    'Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\nETag: "6955b900-400"\r\n' +
    "Accept-Ranges: bytes\r\n\r\n",
);
const response = new Uint8Array(head.length + body.length);
response.set(head);
response.set(body, head.length);

/** Counts the ends of request heads ("\r\n\r\n") in buf[0, n), carrying a partial end over. */
function heads(buf: Uint8Array, n: number, state: { run: number }): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    const want = state.run % 2 === 0 ? 0x0d : 0x0a;
    state.run = b === want ? state.run + 1 : b === 0x0d ? 1 : 0;
    if (state.run === 4) {
      count++;
      state.run = 0;
    }
  }
  return count;
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(16384);
  const state = { run: 0 };
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let k = heads(buf, n, state); k > 0; k--) {
        for (let off = 0; off < response.length;) off += await conn.write(response.subarray(off));
      }
    }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.error(`listening on http://127.0.0.1:${listener.addr.port}/`);
for (;;) serve(await listener.accept());
