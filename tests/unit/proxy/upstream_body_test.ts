/**
 * An upstream answer's body as the client's stream (lib/proxy/upstream_body.ts), fed over real
 * loopback TCP connections in odd splits: each piece is written by the server side only once the
 * proxy's side has started a read for it, so that the pieces arrive in reads of their own. How the
 * body ends is checked against nginx's: whole() only once the exact end was read (the connection
 * may then serve another request), failed() with nginx's words, abandoned() when the consumer
 * stops early. Every wait is bounded.
 */
import assert from "node:assert/strict";
import type { StreamBody } from "../../../lib/http/response.ts";
import { type BodyEnd, upstreamBody } from "../../../lib/proxy/upstream_body.ts";
import { UpstreamConnection } from "../../../lib/proxy/upstream_connection.ts";

const BOUND_MS = 3000;
const READ_TIMEOUT = 2000;

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

/** The bytes of a string, one per UTF-16 unit (latin1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function text(data: Uint8Array): string {
  return String.fromCharCode(...data);
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `data` cut into pieces of the sizes given, in turn (the last size repeats). */
function split(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    out.push(data.slice(at, at + size));
    at += size;
  }
  return out;
}

/** A body of `n` bytes, no two neighbouring 251-byte runs alike. */
function pattern(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed + Math.floor(i / 251)) & 0xff);
}

const ODD = [1, 3, 2, 7, 5, 11, 4, 13];

/** The proxy's side of a loopback connection, and the upstream server's side. */
interface Pair {
  client: UpstreamConnection;
  server: Deno.Conn;
  /** Resolves once the proxy's side has started `n` reads in all. */
  reads(n: number): Promise<void>;
}

/** Runs `fn` with one connection to a listener of its own; everything closed afterwards. */
async function withConnection(fn: (pair: Pair) => Promise<void> | void): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = { host: "127.0.0.1", port: listener.addr.port };
  const [client, server] = await within(
    Promise.all([UpstreamConnection.open(address, BOUND_MS), listener.accept()]),
    "the connection",
  );
  // Count the reads the proxy's side starts (a spy: the reads themselves are the real ones).
  const input = client.input;
  const fill = input.fill.bind(input);
  let started = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  input.fill = () => {
    if (!input.reading) {
      started++;
      for (const w of waiters.filter((w) => started >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    return fill();
  };
  const reads = (n: number) =>
    started >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  try {
    await fn({ client, server, reads });
  } finally {
    client.close();
    await client.input.settled();
    try {
      server.close();
    } catch {
      // Closed by the test.
    }
    listener.close();
  }
}

/** How a body ended, as its BodyEnd heard it. */
class Ends implements BodyEnd {
  readonly events: string[] = [];
  /** Whether a read was under way when whole() came (the reader went past the end). */
  readingAtWhole: boolean | null = null;
  constructor(private readonly conn?: UpstreamConnection) {}
  whole(): void {
    this.readingAtWhole = this.conn?.input.reading ?? null;
    this.events.push("whole");
  }
  failed(message: string): void {
    this.events.push(`failed: ${message}`);
  }
  abandoned(): void {
    this.events.push("abandoned");
  }
}

/**
 * Writes `pieces` from the server side, each once the proxy's side has started a read for it
 * (the first read is started by the consumer's first pull), checking `whileReading` each time;
 * then closes the server side if asked. Stops early once `stop` resolves (the consumer is done).
 */
async function feed(
  pair: Pair,
  pieces: Uint8Array[],
  stop: Promise<unknown>,
  options: { close?: boolean; whileReading?: () => void } = {},
): Promise<void> {
  const stopped = stop.then(() => false);
  for (let i = 0; i < pieces.length; i++) {
    const reading = await Promise.race([pair.reads(i + 1).then(() => true), stopped]);
    if (!reading) return;
    options.whileReading?.();
    await pair.server.write(pieces[i]!);
  }
  if (options.close) pair.server.close();
}

/** What the consumer got: every piece (kept as handed out), and the error the stream threw. */
async function consume(body: StreamBody): Promise<{ pieces: Uint8Array[]; error: unknown }> {
  const pieces: Uint8Array[] = [];
  let error: unknown = null;
  try {
    for await (const piece of body.chunks) pieces.push(piece);
  } catch (e) {
    error = e;
  } finally {
    // What the response writer does once it is done (lib/server/response_writer.ts).
    body.close?.();
  }
  return { pieces, error };
}

/** Runs a body of `framing` fed with `pieces`; the consumer's result and the feeder's. */
async function run(
  pair: Pair,
  framing: Parameters<typeof upstreamBody>[1],
  pieces: Uint8Array[],
  options: { close?: boolean; readTimeout?: number } = {},
): Promise<{ got: Uint8Array[]; error: unknown; ends: Ends }> {
  const ends = new Ends(pair.client);
  const body = upstreamBody(pair.client, framing, options.readTimeout ?? READ_TIMEOUT, ends);
  const whileReading = () => assert.deepEqual(ends.events, [], "a read after the body ended");
  const consumed = consume(body);
  const [result] = await within(
    Promise.all([consumed, feed(pair, pieces, consumed, { close: options.close, whileReading })]),
    "the body",
  );
  return { got: result.pieces, error: result.error, ends };
}

// --- Content-Length ---------------------------------------------------------------------------

Deno.test("a Content-Length body in odd splits: its bytes, then whole() at its exact end", async () => {
  await withConnection(async (pair) => {
    const data = pattern(300);
    const pieces = split(data, ODD);
    const { got, error, ends } = await run(pair, { kind: "length", length: 300 }, pieces);
    assert.equal(error, null);
    assert.deepEqual(concat(got), data);
    assert.ok(got.length >= pieces.length, `${got.length} pieces for ${pieces.length} writes`);
    assert.deepEqual(ends.events, ["whole"]);
    // The server keeps the connection open: the body ended on its length, nothing more was read.
    assert.equal(ends.readingAtWhole, false);
    assert.equal(pair.client.input.pending, 0);
    assert.equal(pair.client.closed, false);
  });
});

Deno.test("a Content-Length body: what came with the head comes first; the next answer's bytes stay", async () => {
  await withConnection(async (pair) => {
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    await pair.server.write(bytes(head + "0123"));
    while (pair.client.input.pending < head.length + 4) {
      await within(pair.client.fill(READ_TIMEOUT), "the head");
    }
    pair.client.input.consume(head.length);
    const reads = await run(pair, { kind: "length", length: 10 }, [
      bytes("45"),
      bytes("6789HTTP/1.1"),
    ]);
    assert.equal(text(concat(reads.got)), "0123456789");
    assert.deepEqual(reads.ends.events, ["whole"]);
    const input = pair.client.input;
    assert.equal(text(input.buf.subarray(input.start, input.end)), "HTTP/1.1");
  });
});

Deno.test("a Content-Length body larger than the connection's buffer streams through whole", async () => {
  await withConnection(async (pair) => {
    const data = pattern(300 * 1024, 5);
    const ends = new Ends(pair.client);
    const body = upstreamBody(
      pair.client,
      { kind: "length", length: data.length },
      READ_TIMEOUT,
      ends,
    );
    const [result] = await within(
      Promise.all([consume(body), pair.server.write(data).then(() => {})]),
      "the body",
    );
    assert.equal(result.error, null);
    assert.deepEqual(concat(result.pieces), data);
    assert.deepEqual(ends.events, ["whole"]);
  });
});

Deno.test("a Content-Length body cut short: failed() with nginx's words, after the bytes that came", async () => {
  await withConnection(async (pair) => {
    const sent = pattern(40);
    const { got, error, ends } = await run(
      pair,
      { kind: "length", length: 100 },
      split(sent, [7, 13]),
      { close: true },
    );
    assert.ok(error instanceof Error);
    assert.deepEqual(concat(got), sent);
    assert.deepEqual(ends.events, ["failed: upstream prematurely closed connection"]);
  });
});

Deno.test("a Content-Length body of which nothing comes: failed() on the close", async () => {
  await withConnection(async (pair) => {
    const { got, error, ends } = await run(pair, { kind: "length", length: 5 }, [], {
      close: true,
    });
    assert.ok(error instanceof Error);
    assert.deepEqual(got, []);
    assert.deepEqual(ends.events, ["failed: upstream prematurely closed connection"]);
  });
});

Deno.test("a body the upstream stops sending: failed() with nginx's timeout words", async () => {
  await withConnection(async (pair) => {
    const { got, error, ends } = await run(pair, { kind: "length", length: 10 }, [bytes("abc")], {
      readTimeout: 50,
    });
    assert.ok(error instanceof Error);
    assert.equal(text(concat(got)), "abc");
    assert.deepEqual(ends.events, ["failed: upstream timed out (110: Connection timed out)"]);
  });
});

// --- Chunked ----------------------------------------------------------------------------------

const CHUNKED = "5\r\nhello\r\n" +
  '1;ext=1;name="v"\r\n,\r\n' +
  "A\r\n abcdefghi\r\n" +
  "1b\r\n" + "0123456789abcdefghijklmnopq" + "\r\n" +
  "0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n";
const CHUNKED_DATA = "hello, abcdefghi0123456789abcdefghijklmnopq";

Deno.test("a chunked body in odd splits: the decoded data, then whole() after the last CRLF", async () => {
  for (const sizes of [ODD, [1], [2], [9, 1], [CHUNKED.length]]) {
    await withConnection(async (pair) => {
      const { got, error, ends } = await run(
        pair,
        { kind: "chunked" },
        split(bytes(CHUNKED), sizes),
      );
      assert.equal(error, null, String(sizes));
      assert.equal(text(concat(got)), CHUNKED_DATA, String(sizes));
      assert.deepEqual(ends.events, ["whole"], String(sizes));
      assert.equal(ends.readingAtWhole, false);
      assert.equal(pair.client.input.pending, 0);
    });
  }
});

Deno.test("a chunked body: the last chunk's lines split apart; bytes after it stay for the next answer", async () => {
  await withConnection(async (pair) => {
    const pieces = ["3\r\nabc\r\n0", "\r", "\n", "\r", "\nHTTP/1.1 200"].map(bytes);
    const { got, ends } = await run(pair, { kind: "chunked" }, pieces);
    assert.equal(text(concat(got)), "abc");
    assert.deepEqual(ends.events, ["whole"]);
    const input = pair.client.input;
    assert.equal(text(input.buf.subarray(input.start, input.end)), "HTTP/1.1 200");
  });
});

Deno.test("a chunked body with bare LF line ends and no trailer", async () => {
  await withConnection(async (pair) => {
    const { got, ends } = await run(pair, { kind: "chunked" }, split(bytes("2\nab\n0\n\n"), [3]));
    assert.equal(text(concat(got)), "ab");
    assert.deepEqual(ends.events, ["whole"]);
  });
});

Deno.test("a chunked body cut short, mid-chunk or between chunks: failed(), prematurely closed", async () => {
  for (
    const sent of [
      "5\r\nhel",
      "5\r\nhello\r\n",
      "5\r\nhello\r\n0\r\n",
      "5\r\nhello\r\n0\r\nX-T: 1\r\n",
    ]
  ) {
    await withConnection(async (pair) => {
      const { got, error, ends } = await run(pair, { kind: "chunked" }, split(bytes(sent), [4]), {
        close: true,
      });
      assert.ok(error instanceof Error, sent);
      assert.equal(text(concat(got)), sent.startsWith("5\r\nhello") ? "hello" : "hel");
      assert.deepEqual(ends.events, ["failed: upstream prematurely closed connection"], sent);
    });
  }
});

/*
 * nginx (ngx_http_proxy_chunked_filter, ngx_http_proxy_non_buffered_chunked_filter): a chunked
 * body it cannot parse is logged as "upstream sent invalid chunked response" (then, by the
 * handler, " while reading upstream").
 */
Deno.test("a bad chunk: failed() with nginx's words, upstream sent invalid chunked response", async () => {
  for (const sent of ["5\r\nhello\r\nzz\r\n", "5\r\nhelloXY", " 5\r\nhello\r\n", "5\r\r\nhello"]) {
    await withConnection(async (pair) => {
      const { error, ends } = await run(pair, { kind: "chunked" }, split(bytes(sent), [3]));
      assert.ok(error instanceof Error, sent);
      assert.deepEqual(ends.events, ["failed: upstream sent invalid chunked response"], sent);
    });
  }
});

Deno.test("a bad chunk: failed() once, after the data of earlier reads, and the stream throws", async () => {
  await withConnection(async (pair) => {
    const pieces = [bytes("5\r\nhello\r\n"), bytes("zz\r\n")];
    const { got, error, ends } = await run(pair, { kind: "chunked" }, pieces);
    assert.ok(error instanceof Error);
    assert.equal(text(concat(got)), "hello");
    assert.equal(ends.events.length, 1);
    assert.match(ends.events[0]!, /^failed: /);
  });
});

// --- Close-delimited and none -------------------------------------------------------------------

Deno.test("a close-delimited body in odd splits: every byte until the close, then whole()", async () => {
  await withConnection(async (pair) => {
    const data = pattern(200, 3);
    const { got, error, ends } = await run(pair, { kind: "close" }, split(data, ODD), {
      close: true,
    });
    assert.equal(error, null);
    assert.deepEqual(concat(got), data);
    assert.deepEqual(ends.events, ["whole"]);
  });
});

Deno.test("an empty close-delimited body: no piece, whole() on the close", async () => {
  await withConnection(async (pair) => {
    const { got, ends } = await run(pair, { kind: "close" }, [], { close: true });
    assert.deepEqual(got, []);
    assert.deepEqual(ends.events, ["whole"]);
  });
});

Deno.test("no body: no piece and no read; whole() when the stream is closed", async () => {
  await withConnection(async (pair) => {
    const ends = new Ends(pair.client);
    const body = upstreamBody(pair.client, { kind: "none" }, READ_TIMEOUT, ends);
    const pieces: Uint8Array[] = [];
    for await (const piece of body.chunks) pieces.push(piece);
    assert.deepEqual(pieces, []);
    assert.equal(pair.client.input.reading, false);
    assert.deepEqual(ends.events, []);
    body.close?.();
    body.close?.();
    assert.deepEqual(ends.events, ["whole"]);
  });
});

Deno.test("no body, not even iterated (a HEAD answer): close() is whole()", async () => {
  await withConnection((pair) => {
    const ends = new Ends(pair.client);
    upstreamBody(pair.client, { kind: "none" }, READ_TIMEOUT, ends).close?.();
    assert.deepEqual(ends.events, ["whole"]);
  });
});

// --- The consumer stops ---------------------------------------------------------------------------

Deno.test("a consumer that stops early: abandoned(), never whole()", async () => {
  const framings = [
    { kind: "length", length: 100 } as const,
    { kind: "chunked" } as const,
    { kind: "close" } as const,
  ];
  for (const framing of framings) {
    await withConnection(async (pair) => {
      const ends = new Ends(pair.client);
      const body = upstreamBody(pair.client, framing, READ_TIMEOUT, ends);
      const first = framing.kind === "chunked" ? "4\r\nabcd\r\n" : "abcd";
      await pair.server.write(bytes(first));
      for await (const piece of body.chunks) {
        assert.equal(text(piece), "abcd");
        break;
      }
      assert.deepEqual(ends.events, [], framing.kind);
      body.close?.();
      body.close?.();
      assert.deepEqual(ends.events, ["abandoned"], framing.kind);
    });
  }
});

Deno.test("a stream closed while it waits for the upstream: abandoned(), and the broken read after it is not a failure", async () => {
  await withConnection(async (pair) => {
    const ends = new Ends(pair.client);
    const body = upstreamBody(pair.client, { kind: "length", length: 10 }, READ_TIMEOUT, ends);
    const it = body.chunks[Symbol.asyncIterator]();
    await pair.server.write(bytes("ab"));
    assert.equal(text((await within(it.next(), "the first piece")).value), "ab");
    const waiting = it.next();
    await within(pair.reads(2), "the second read");
    // The client went away: the writer closes the stream, the handler the connection.
    body.close?.();
    pair.client.close();
    await within(assert.rejects(waiting), "the read to fail");
    assert.deepEqual(ends.events, ["abandoned"]);
  });
});

Deno.test("a stream closed before it is read: abandoned()", async () => {
  await withConnection((pair) => {
    const ends = new Ends(pair.client);
    upstreamBody(pair.client, { kind: "length", length: 3 }, READ_TIMEOUT, ends).close?.();
    assert.deepEqual(ends.events, ["abandoned"]);
  });
});

Deno.test("close() after the end changes nothing: whole() or failed() stays the only call", async () => {
  await withConnection(async (pair) => {
    // consume() closes the stream once it is done.
    const { ends } = await run(pair, { kind: "length", length: 2 }, [bytes("ok")]);
    assert.deepEqual(ends.events, ["whole"]);
  });
  await withConnection(async (pair) => {
    const { ends } = await run(pair, { kind: "length", length: 4 }, [bytes("ok")], { close: true });
    assert.deepEqual(ends.events, ["failed: upstream prematurely closed connection"]);
  });
});

// --- Pieces are copies -------------------------------------------------------------------------

Deno.test("pieces are copies: one held across the next reads keeps its bytes", async () => {
  const cases: Array<[Parameters<typeof upstreamBody>[1], (data: Uint8Array) => Uint8Array]> = [
    [{ kind: "length", length: 64 }, (d) => d],
    [{ kind: "close" }, (d) => d],
    [{ kind: "chunked" }, (d) => {
      // Chunks of 8: each lands where the last one did in the connection's buffer.
      const parts: Uint8Array[] = [];
      for (let at = 0; at < d.length; at += 8) {
        parts.push(bytes("8\r\n"), d.subarray(at, at + 8), bytes("\r\n"));
      }
      parts.push(bytes("0\r\n\r\n"));
      return concat(parts);
    }],
  ];
  for (const [framing, encode] of cases) {
    await withConnection(async (pair) => {
      // Eight runs of eight equal bytes, each run different: an overwritten piece shows.
      const data = Uint8Array.from({ length: 64 }, (_, i) => 0x41 + (i >> 3));
      const wire = encode(data);
      const sizes = framing.kind === "chunked" ? [13] : [8];
      const { got, error } = await run(pair, framing, split(wire, sizes), {
        close: framing.kind === "close",
      });
      assert.equal(error, null, framing.kind);
      assert.ok(got.length >= 8, `${framing.kind}: ${got.length} pieces`);
      // Every piece still holds what it held when handed out, long after.
      assert.deepEqual(concat(got), data, framing.kind);
      for (const piece of got) {
        assert.notEqual(piece.buffer, pair.client.input.buf.buffer, framing.kind);
      }
    });
  }
});
