/**
 * Idle upstream connections (lib/proxy/keepalive_pool.ts) over real loopback TCP connections: a
 * listener on an ephemeral port stands for the upstream servers, UpstreamConnection.open for the
 * proxy's side. As nginx's keepalive module (ngx_http_upstream_keepalive_module.c): the most
 * recently kept connection to the server is reused, at most N are kept (the least recently kept
 * closed), each closed after keepalive_timeout or once keepalive_requests were sent on it, or when
 * its server closes it or sends anything while it is idle.
 *
 * Waits are on events (the server side's read, the connection's read settling); only
 * keepalive_timeout, set to tens of milliseconds, is waited out. Every wait is bounded.
 */
import assert from "node:assert/strict";
import type { UpstreamSettings } from "../../../lib/config/types.ts";
import { KeepalivePool } from "../../../lib/proxy/keepalive_pool.ts";
import { UpstreamConnection } from "../../../lib/proxy/upstream_connection.ts";

const BOUND_MS = 3000;

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, what: string, ms = BOUND_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One connection as the proxy (`client`) and the upstream server (`server`) each see it. */
interface Pair {
  client: UpstreamConnection;
  server: Deno.Conn;
}

/** A listening upstream server; `connect()` makes one more connection to it. */
class Upstream {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #pairs: Pair[] = [];

  get address() {
    return { host: "127.0.0.1", port: this.#listener.addr.port };
  }

  async connect(): Promise<Pair> {
    const [client, server] = await within(
      Promise.all([UpstreamConnection.open(this.address, BOUND_MS), this.#listener.accept()]),
      "a connection",
    );
    const pair = { client, server };
    this.#pairs.push(pair);
    return pair;
  }

  /** Closes the listener and both ends of every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const { client, server } of this.#pairs) {
      client.close();
      try {
        server.close();
      } catch {
        // Closed by the test.
      }
      await client.input.settled();
    }
  }
}

/** Runs `fn` with a fresh upstream server, closed afterwards whatever happens. */
async function withUpstream(fn: (upstream: Upstream) => Promise<void>): Promise<void> {
  const upstream = new Upstream();
  try {
    await fn(upstream);
  } finally {
    await upstream.close();
  }
}

function settings(overrides: Partial<UpstreamSettings> = {}): UpstreamSettings {
  return {
    name: "u",
    servers: [],
    keepalive: 8,
    keepaliveTimeout: 60_000,
    keepaliveRequests: 1000,
    pos: { file: "t.conf", line: 1 },
    ...overrides,
  };
}

/** Resolves once the server side reads the end of the connection (the proxy closed it). */
async function serverSeesClose(pair: Pair): Promise<void> {
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await within(pair.server.read(buf), "the server to see the connection close");
    if (n === null) return;
  }
}

/** The connection still carries a request and its answer, both ways. */
async function exchange(pair: Pair, request: string, response: string): Promise<void> {
  await pair.client.write(encoder.encode(request), BOUND_MS);
  const buf = new Uint8Array(request.length);
  let got = 0;
  while (got < request.length) {
    const n = await within(pair.server.read(buf.subarray(got)), "the request");
    assert.ok(n !== null, "the server saw the connection end");
    got += n;
  }
  assert.equal(decoder.decode(buf), request);
  await pair.server.write(encoder.encode(response));
  const input = pair.client.input;
  while (input.pending < response.length) {
    const n = await within(pair.client.fill(BOUND_MS), "the response");
    assert.ok(n !== null, "the connection ended before the response");
  }
  assert.equal(decoder.decode(input.buf.subarray(input.start, input.end)), response);
  input.consume(input.pending);
}

Deno.test("a kept connection is handed out again, to its own server only, once", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const pair = await upstream.connect();
    await exchange(pair, "GET /1 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n");
    pool.put(0, pair.client);
    assert.equal(pool.take(1), null);
    assert.equal(pool.take(0), pair.client);
    assert.equal(pool.take(0), null);
    assert.equal(pair.client.closed, false);
    // The same connection carries the next request.
    await exchange(pair, "GET /2 HTTP/1.1\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n");
    pool.close();
  });
});

Deno.test("each server gets its own connections; the most recently kept one first", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const [a, b, c] = [
      await upstream.connect(),
      await upstream.connect(),
      await upstream.connect(),
    ];
    pool.put(0, a.client);
    pool.put(1, b.client);
    pool.put(0, c.client);
    assert.equal(pool.take(0), c.client);
    assert.equal(pool.take(0), a.client);
    assert.equal(pool.take(0), null);
    assert.equal(pool.take(1), b.client);
    assert.equal(pool.take(2), null);
    for (const pair of [a, b, c]) assert.equal(pair.client.closed, false);
    pool.close();
  });
});

Deno.test("keepalive N: the N+1th connection kept closes the least recently kept one", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings({ keepalive: 2 }));
    const [a, b, c, d] = [
      await upstream.connect(),
      await upstream.connect(),
      await upstream.connect(),
      await upstream.connect(),
    ];
    pool.put(0, a.client);
    pool.put(1, b.client);
    pool.put(0, c.client);
    await serverSeesClose(a);
    assert.equal(a.client.closed, true);
    assert.equal(b.client.closed, false);
    // A connection taken and kept again counts as the most recent.
    assert.equal(pool.take(1), b.client);
    pool.put(1, b.client);
    pool.put(0, d.client);
    await serverSeesClose(c);
    assert.equal(pool.take(0), d.client);
    assert.equal(pool.take(0), null);
    assert.equal(pool.take(1), b.client);
    pool.close();
  });
});

Deno.test("keepalive 0 keeps nothing: the connection is closed", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings({ keepalive: 0 }));
    const pair = await upstream.connect();
    pool.put(0, pair.client);
    assert.equal(pair.client.closed, true);
    await serverSeesClose(pair);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("keepalive_timeout: a connection idle that long is closed", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings({ keepaliveTimeout: 30 }));
    const pair = await upstream.connect();
    const kept = Date.now();
    pool.put(0, pair.client);
    await serverSeesClose(pair);
    assert.ok(Date.now() - kept >= 25, `closed after ${Date.now() - kept} ms`);
    assert.equal(pair.client.closed, true);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("keepalive_timeout: a connection taken in time is not closed by its timer", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings({ keepaliveTimeout: 30 }));
    const pair = await upstream.connect();
    pool.put(0, pair.client);
    assert.equal(pool.take(0), pair.client);
    await delay(90);
    assert.equal(pair.client.closed, false);
    await exchange(pair, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n");
    // Kept again, it gets a timer of its own.
    pool.put(0, pair.client);
    await serverSeesClose(pair);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("keepalive_requests: a connection that carried that many requests is closed, not kept", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings({ keepaliveRequests: 3 }));
    const [young, old] = [await upstream.connect(), await upstream.connect()];
    young.client.requests = 2;
    old.client.requests = 3;
    pool.put(0, young.client);
    pool.put(0, old.client);
    assert.equal(old.client.closed, true);
    await serverSeesClose(old);
    assert.equal(pool.take(0), young.client);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("a connection with unread bytes is closed, not kept", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const pair = await upstream.connect();
    await pair.server.write(encoder.encode("HTTP/1.1 200 OK\r\n\r\nEXTRA"));
    while (pair.client.input.pending < 24) await within(pair.client.fill(BOUND_MS), "the bytes");
    pair.client.input.consume(19);
    assert.equal(pair.client.input.pending, 5);
    pool.put(0, pair.client);
    assert.equal(pair.client.closed, true);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("a connection its server closes while idle is dropped, never handed out", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const [older, newer] = [await upstream.connect(), await upstream.connect()];
    pool.put(0, older.client);
    pool.put(0, newer.client);
    // The pool's read under way (shared by whoever asks) sees the end.
    const idleRead = newer.client.input.fill();
    newer.server.close();
    assert.equal(await within(idleRead, "the idle read to end"), null);
    assert.equal(newer.client.closed, true);
    assert.equal(pool.take(0), older.client);
    assert.equal(pool.take(0), null);
    pool.close();
  });
});

Deno.test("a connection whose server sends anything while idle is dropped", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const pair = await upstream.connect();
    pool.put(0, pair.client);
    const idleRead = pair.client.input.fill();
    await pair.server.write(encoder.encode("HTTP/1.1 408 Request Timeout\r\n\r\n"));
    assert.ok((await within(idleRead, "the idle read"))! > 0);
    await serverSeesClose(pair);
    assert.equal(pair.client.closed, true);
    assert.equal(pool.take(0), null);
  });
});

Deno.test("close() closes every idle connection; a taken one is the request's", async () => {
  await withUpstream(async (upstream) => {
    const pool = new KeepalivePool(settings());
    const [a, b, c] = [
      await upstream.connect(),
      await upstream.connect(),
      await upstream.connect(),
    ];
    pool.put(0, a.client);
    pool.put(1, b.client);
    pool.put(0, c.client);
    assert.equal(pool.take(0), c.client);
    pool.close();
    await serverSeesClose(a);
    await serverSeesClose(b);
    assert.equal(c.client.closed, false);
    assert.equal(pool.take(0), null);
    assert.equal(pool.take(1), null);
    await exchange(c, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n");
  });
});
