import assert from "node:assert/strict";
import {
  DEFAULT_MAX_HEAD_BYTES,
  type ResponseHead,
  type ResponseHeadLimits,
  ResponseHeadParser,
  type ResponseHeadResult,
} from "../../../lib/proxy/response_parser.ts";

/** The bytes of a string, one per UTF-16 unit (latin1), so tests can write "\x80" or "\0". */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Parses `raw` from scratch, placed in a larger buffer (junk around it, non-zero byteOffset). */
function parseWhole(raw: string, limits: ResponseHeadLimits = {}): ResponseHeadResult {
  const outer = bytes("##########" + raw + "@@@@");
  const buf = outer.subarray(3);
  return new ResponseHeadParser(limits).parse(buf, 7, 7 + raw.length);
}

/** Parses the first `length` bytes of `whole` from scratch. */
function parsePrefix(whole: Uint8Array, length: number, limits: ResponseHeadLimits = {}) {
  return new ResponseHeadParser(limits).parse(whole, 0, length);
}

/** A seeded PRNG (mulberry32): the same splits on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How {@linkcode feed} places the pending bytes for each call. */
type Placement = "in place" | "moved";

/**
 * Feeds `raw` through one parser in pieces of the sizes `step()` returns, the way a proxy's
 * upstream connection does: each call sees all the pending bytes. "in place" keeps them at one
 * offset of one buffer; "moved" copies them, before every call, into a new buffer at a new offset,
 * with bytes after `end` that would change the answer were they read. Checks every answer against
 * a fresh parse of the same prefix and returns the first one that is not incomplete (or the last).
 */
function feed(
  parser: ResponseHeadParser,
  raw: string,
  step: () => number,
  placement: Placement,
  limits: ResponseHeadLimits = {},
): ResponseHeadResult {
  const whole = bytes(raw);
  const random = prng(raw.length);
  const fixed = new Uint8Array(5 + whole.length + 3).fill(0x0a);
  fixed.set(whole, 5);
  let length = 0;
  for (;;) {
    length = Math.min(whole.length, length + Math.max(1, step()));
    let buf = fixed;
    let start = 5;
    if (placement === "moved") {
      start = Math.floor(random() * 8);
      const outer = new Uint8Array(2 + start + length + 4).fill(random() < 0.5 ? 0x0a : 0x00);
      outer.set(whole.subarray(0, length), 2 + start);
      buf = outer.subarray(2);
    }
    const result = parser.parse(buf, start, start + length);
    assert.deepEqual(result, parsePrefix(whole, length, limits), `${placement}, after ${length}`);
    if (result.kind !== "incomplete" || length === whole.length) return result;
  }
}

/** Feeds `raw` one byte per call and in seeded random pieces, in place and moved. */
function feedAllWays(
  parser: ResponseHeadParser,
  raw: string,
  limits: ResponseHeadLimits = {},
): void {
  const expected = parseWhole(raw, limits);
  for (const placement of ["in place", "moved"] as const) {
    assert.deepEqual(feed(parser, raw, () => 1, placement, limits), expected, placement);
    for (let seed = 1; seed <= 8; seed++) {
      const random = prng(seed);
      const result = feed(parser, raw, () => 1 + Math.floor(random() * 6), placement, limits);
      assert.deepEqual(result, expected, `${placement}, random splits, seed ${seed}`);
    }
  }
}

function head(partial: Partial<ResponseHead>): ResponseHead {
  return { minor: 1, status: 200, reason: "OK", headers: [], ...partial };
}

/**
 * One parser for every table case fed in pieces: it must start each head afresh by itself after
 * answering complete or error.
 */
const SHARED = new ResponseHeadParser();

const VALID: { name: string; raw: string; expected: ResponseHead }[] = [
  { name: "a minimal response", raw: "HTTP/1.1 200 OK\r\n\r\n", expected: head({}) },
  {
    name: "headers lower-cased, values trimmed, order kept",
    raw: "HTTP/1.1 200 OK\r\nServer: up\r\nSet-Cookie:  a=1 \t\r\nset-cookie:b=2\r\nEmpty:\r\n\r\n",
    expected: head({
      headers: [["server", "up"], ["set-cookie", "a=1"], ["set-cookie", "b=2"], ["empty", ""]],
    }),
  },
  {
    name: "HTTP/1.0",
    raw: "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\n",
    expected: head({
      minor: 0,
      status: 404,
      reason: "Not Found",
      headers: [["content-length", "3"]],
    }),
  },
  { name: "HTTP/1.9 as HTTP/1.1", raw: "HTTP/1.9 200 OK\r\n\r\n", expected: head({}) },
  {
    name: "an empty reason after the SP",
    raw: "HTTP/1.1 204 \r\n\r\n",
    expected: head({ status: 204, reason: "" }),
  },
  {
    name: "an empty reason without the SP, as nginx accepts",
    raw: "HTTP/1.1 200\r\nX: y\r\n\r\n",
    expected: head({ reason: "", headers: [["x", "y"]] }),
  },
  {
    name: "no SP and a bare LF after the code",
    raw: "HTTP/1.1 304\n\n",
    expected: head({ status: 304, reason: "" }),
  },
  {
    name: "several SP before the code, as nginx accepts",
    raw: "HTTP/1.1   503 Service Unavailable\r\n\r\n",
    expected: head({ status: 503, reason: "Service Unavailable" }),
  },
  {
    name: "a reason kept as sent, whitespace and obs-text included",
    raw: "HTTP/1.1 200  Tr\xe8s\tbien \r\n\r\n",
    expected: head({ reason: " Tr\xe8s\tbien " }),
  },
  {
    name: "a reason with a colon and digits",
    raw: "HTTP/1.1 500 Error: 42\r\n\r\n",
    expected: head({ status: 500, reason: "Error: 42" }),
  },
  {
    name: "100 Continue",
    raw: "HTTP/1.1 100 Continue\r\n\r\n",
    expected: head({ status: 100, reason: "Continue" }),
  },
  {
    name: "101 Switching Protocols",
    raw: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    expected: head({
      status: 101,
      reason: "Switching Protocols",
      headers: [["upgrade", "websocket"], ["connection", "Upgrade"]],
    }),
  },
  {
    name: "the highest status, 599",
    raw: "HTTP/1.1 599 X\r\n\r\n",
    expected: head({ status: 599, reason: "X" }),
  },
  {
    name: "bare LF line endings",
    raw: "HTTP/1.1 200 OK\nServer: up\n\n",
    expected: head({ headers: [["server", "up"]] }),
  },
  {
    name: "mixed line endings",
    raw: "HTTP/1.1 200 OK\r\nServer: up\n\r\n",
    expected: head({ headers: [["server", "up"]] }),
  },
  {
    name: "framing fields as sent, for the framing step to judge",
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\nTransfer-Encoding: chunked, identity\r\n" +
      "Content-Length: +5\r\n\r\n",
    expected: head({
      headers: [
        ["content-length", "1, 2"],
        ["transfer-encoding", "chunked, identity"],
        ["content-length", "+5"],
      ],
    }),
  },
  {
    name: "obs-text in a value, decoded as latin1",
    raw: "HTTP/1.1 200 OK\r\nX: \x80\x9f\xff\r\n\r\n",
    expected: head({ headers: [["x", "\x80\x9f\xff"]] }),
  },
  {
    name: "a tab inside a value and tokens in a name",
    raw: "HTTP/1.1 200 OK\r\nX-A_b.c~!: a\tb\r\n\r\n",
    expected: head({ headers: [["x-a_b.c~!", "a\tb"]] }),
  },
  {
    name: "a value that is only whitespace",
    raw: "HTTP/1.1 200 OK\r\nX: \t \r\n\r\n",
    expected: head({ headers: [["x", ""]] }),
  },
];

for (const { name, raw, expected } of VALID) {
  Deno.test(`ResponseHeadParser parses ${name}`, () => {
    assert.deepEqual(parseWhole(raw), { kind: "complete", consumed: raw.length, head: expected });
  });

  Deno.test(`ResponseHeadParser returns incomplete for every prefix of ${name}`, () => {
    const whole = bytes(raw);
    for (let end = 0; end < whole.length; end++) {
      assert.deepEqual(parsePrefix(whole, end), { kind: "incomplete" }, `prefix of ${end} bytes`);
    }
  });

  Deno.test(`ResponseHeadParser parses ${name} in pieces as it does whole`, () => {
    feedAllWays(SHARED, raw);
  });
}

const NO_VALID = "upstream sent no valid HTTP/1.0 header";
const VERSION = "upstream sent unsupported HTTP version";
const STATUS = "upstream sent invalid status code";
const REASON = "upstream sent invalid reason phrase";
const VALUE = "upstream sent invalid character in header value";
const BARE_CR = "upstream sent bare CR in header";
const FOLD = "upstream sent obsolete line folding in header";
const COLON = "upstream sent whitespace before colon in header";
const NAME = "upstream sent invalid header name";

const INVALID: { name: string; raw: string; message: string }[] = [
  { name: "an HTTP/0.9 body", raw: "<html>hello</html>", message: NO_VALID },
  { name: "an empty line first", raw: "\r\nHTTP/1.1 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a lower-case version", raw: "http/1.1 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a binary answer", raw: "\x15\x03\x01\x00\x02\x02\x0a", message: NO_VALID },
  { name: "HTTP/2.0", raw: "HTTP/2.0 200 OK\r\n\r\n", message: VERSION },
  { name: "HTTP/2", raw: "HTTP/2 200\r\n\r\n", message: VERSION },
  { name: "HTTP/0.9", raw: "HTTP/0.9 200 OK\r\n\r\n", message: VERSION },
  { name: "HTTP/3.0", raw: "HTTP/3.0 200 OK\r\n\r\n", message: VERSION },
  { name: "a two-digit major", raw: "HTTP/11.1 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a two-digit minor", raw: "HTTP/1.10 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a version without minor", raw: "HTTP/1 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a version with a letter", raw: "HTTP/1.x 200 OK\r\n\r\n", message: NO_VALID },
  { name: "a tab after the version", raw: "HTTP/1.1\t200 OK\r\n\r\n", message: NO_VALID },
  { name: "a version alone", raw: "HTTP/1.1\r\n\r\n", message: NO_VALID },
  { name: "a missing status", raw: "HTTP/1.1 \r\n\r\n", message: STATUS },
  { name: "a status of 2 digits", raw: "HTTP/1.1 20 OK\r\n\r\n", message: STATUS },
  { name: "a status of 2 digits and the line end", raw: "HTTP/1.1 20\r\n\r\n", message: STATUS },
  { name: "a status of 4 digits", raw: "HTTP/1.1 2000 OK\r\n\r\n", message: STATUS },
  { name: "a status below 100", raw: "HTTP/1.1 099 X\r\n\r\n", message: STATUS },
  { name: "a status above 599", raw: "HTTP/1.1 600 X\r\n\r\n", message: STATUS },
  { name: "an IIS sub-status", raw: "HTTP/1.1 403.1 Forbidden\r\n\r\n", message: STATUS },
  { name: "a letter in the status", raw: "HTTP/1.1 2x0 OK\r\n\r\n", message: STATUS },
  { name: "a tab after the status", raw: "HTTP/1.1 200\tOK\r\n\r\n", message: STATUS },
  { name: "a signed status", raw: "HTTP/1.1 +200 OK\r\n\r\n", message: STATUS },
  { name: "a NUL in the reason", raw: "HTTP/1.1 200 O\0K\r\n\r\n", message: REASON },
  { name: "a DEL in the reason", raw: "HTTP/1.1 200 OK\x7f\r\n\r\n", message: REASON },
  {
    name: "a bare CR in the status line",
    raw: "HTTP/1.1 200 OK\rX: y\r\n\r\n",
    message: "upstream sent bare CR in status line",
  },
  {
    name: "a bare CR after the code",
    raw: "HTTP/1.1 200\rX: y\r\n\r\n",
    message: "upstream sent bare CR in status line",
  },
  { name: "a NUL in a value", raw: "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", message: VALUE },
  { name: "a control in a value", raw: "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", message: VALUE },
  { name: "a DEL in a value", raw: "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", message: VALUE },
  { name: "a bare CR in a value", raw: "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", message: BARE_CR },
  { name: "a bare CR after a value", raw: "HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n", message: BARE_CR },
  { name: "a bare CR ending the head", raw: "HTTP/1.1 200 OK\r\n\rX", message: BARE_CR },
  { name: "obs-fold with a space", raw: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", message: FOLD },
  { name: "obs-fold with a tab", raw: "HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n", message: FOLD },
  {
    name: "whitespace before the first header",
    raw: "HTTP/1.1 200 OK\r\n X: a\r\n\r\n",
    message: FOLD,
  },
  {
    name: "a space before the colon",
    raw: "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
    message: COLON,
  },
  {
    name: "a tab before the colon",
    raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding\t: chunked\r\n\r\n",
    message: COLON,
  },
  { name: "an empty header name", raw: "HTTP/1.1 200 OK\r\n: h\r\n\r\n", message: NAME },
  { name: "a line without colon", raw: "HTTP/1.1 200 OK\r\nServer\r\n\r\n", message: NAME },
  { name: "a non-token header name", raw: "HTTP/1.1 200 OK\r\nX(y): h\r\n\r\n", message: NAME },
  { name: "a NUL in a header name", raw: "HTTP/1.1 200 OK\r\nX\0: h\r\n\r\n", message: NAME },
];

for (const { name, raw, message } of INVALID) {
  Deno.test(`ResponseHeadParser rejects ${name}`, () => {
    assert.deepEqual(parseWhole(raw), { kind: "error", message });
  });

  Deno.test(`ResponseHeadParser rejects prefixes of ${name} or says incomplete`, () => {
    const whole = bytes(raw);
    for (let end = 0; end < whole.length; end++) {
      const result = parsePrefix(whole, end);
      if (result.kind === "incomplete") continue;
      assert.deepEqual(result, { kind: "error", message }, `prefix of ${end} bytes`);
    }
  });

  Deno.test(`ResponseHeadParser rejects ${name} in pieces as it does whole`, () => {
    feedAllWays(SHARED, raw);
  });
}

const TOO_BIG = { kind: "error", message: "upstream sent too big header" };

/** A head of exactly `size` bytes: a status line, one padded field, the empty line. */
function headOfSize(size: number): string {
  const fixed = "HTTP/1.1 200 OK\r\nX: \r\n\r\n";
  return "HTTP/1.1 200 OK\r\nX: " + "v".repeat(size - fixed.length) + "\r\n\r\n";
}

Deno.test("ResponseHeadParser accepts a head of exactly maxHeadBytes bytes", () => {
  const raw = headOfSize(64);
  assert.equal(raw.length, 64);
  const result = parseWhole(raw, { maxHeadBytes: 64 });
  assert.equal(result.kind === "complete" && result.consumed, 64);
  // With the body right behind it.
  assert.equal(parseWhole(raw + "body", { maxHeadBytes: 64 }).kind, "complete");
});

Deno.test("ResponseHeadParser answers too big header one byte over maxHeadBytes", () => {
  assert.deepEqual(parseWhole(headOfSize(65), { maxHeadBytes: 64 }), TOO_BIG);
  // The final LF one byte past the limit, its CR the last byte within it.
  const raw = headOfSize(65);
  assert.deepEqual(parseWhole(raw.slice(0, 65), { maxHeadBytes: 64 }), TOO_BIG);
  // Incomplete until a byte past the limit has arrived.
  assert.deepEqual(parseWhole(raw.slice(0, 64), { maxHeadBytes: 64 }), { kind: "incomplete" });
  // A status line that never ends.
  assert.deepEqual(parseWhole("HTTP/1.1 200 " + "x".repeat(100), { maxHeadBytes: 64 }), TOO_BIG);
});

Deno.test("ResponseHeadParser looks at no byte past maxHeadBytes", () => {
  // An invalid byte past the limit: too big, never the byte's error, whole or in pieces.
  const limits = { maxHeadBytes: 64 };
  const raw = headOfSize(64).slice(0, 60) + "vvvv\0\r\n\r\n";
  assert.deepEqual(parseWhole(raw, limits), TOO_BIG);
  feedAllWays(new ResponseHeadParser(limits), raw, limits);
  feedAllWays(new ResponseHeadParser(limits), headOfSize(64), limits);
  feedAllWays(new ResponseHeadParser(limits), headOfSize(65), limits);
});

Deno.test("ResponseHeadParser defaults to 8 KiB of head, as proxy_buffer_size", () => {
  assert.equal(DEFAULT_MAX_HEAD_BYTES, 8192);
  assert.equal(parseWhole(headOfSize(8192)).kind, "complete");
  assert.deepEqual(parseWhole(headOfSize(8193)), TOO_BIG);
  const parser = new ResponseHeadParser({ maxHeadBytes: 4096 });
  assert.equal(parser.maxHeadBytes, 4096);
  assert.equal(parser.maxHeaders, 100);
});

Deno.test("ResponseHeadParser accepts exactly maxHeaders lines and rejects more", () => {
  const limits = { maxHeaders: 3 };
  const three = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  const four = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
  const result = parseWhole(three, limits);
  assert.equal(result.kind === "complete" && result.head.headers.length, 3);
  assert.deepEqual(parseWhole(four, limits), {
    kind: "error",
    message: "upstream sent too many header lines",
  });
  feedAllWays(new ResponseHeadParser(limits), three, limits);
  feedAllWays(new ResponseHeadParser(limits), four, limits);
});

Deno.test("ResponseHeadParser handles more header lines than its first scratch space", () => {
  const lines = Array.from({ length: 300 }, (_, i) => `X-${i}: v${i}\r\n`).join("");
  const raw = `HTTP/1.1 200 OK\r\n${lines}\r\n`;
  const limits = { maxHeaders: 300 };
  const result = parseWhole(raw, limits);
  const headers = result.kind === "complete" ? result.head.headers : [];
  assert.equal(headers.length, 300);
  assert.deepEqual(headers[0], ["x-0", "v0"]);
  assert.deepEqual(headers[299], ["x-299", "v299"]);
  // Growing in the middle of a head fed in pieces.
  feedAllWays(new ResponseHeadParser(limits), raw, limits);
});

Deno.test("ResponseHeadParser resumes at every kind of boundary", () => {
  // Splits inside and right after every part: CR held as the last byte, empty OWS, long runs.
  const raws = [
    "HTTP/1.0    418 I'm a teapot\r\nA:\r\nB: \t x y \t\r\nC:z\n\r\n",
    "HTTP/1.1 200\r\nX:" + " ".repeat(40) + "v" + "w".repeat(40) + " \r\n\n",
    "HTTP/1.1 201 " + "r".repeat(200) + "\r\n" + "N".repeat(200) + ": " + "v".repeat(200) +
    "\r\n\r\n",
  ];
  const parser = new ResponseHeadParser();
  for (const raw of raws) feedAllWays(parser, raw);
});

/** A Uint8Array whose element reads are counted, to bound the bytes a parse examines. */
function counting(buf: Uint8Array): { buf: Uint8Array; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(buf, {
    get(target, key) {
      if (typeof key === "string" && key.length > 0 && key.charCodeAt(0) <= 0x39) reads++;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { buf: proxy, reads: () => reads };
}

Deno.test("ResponseHeadParser examines each byte a bounded number of times, however split", () => {
  const raw = "HTTP/1.1 200 " + "r".repeat(3000) + "\r\n" +
    Array.from({ length: 50 }, (_, i) => `X-${i}: ${"v".repeat(60)}  \r\n`).join("") + "\r\n";
  for (const piece of [1, 2, 7, 100]) {
    const real = bytes(raw);
    const { buf, reads } = counting(real);
    const parser = new ResponseHeadParser();
    let calls = 0;
    // Every piece but the last through the counting proxy; the last (which decodes the head: a
    // decode needs the bytes themselves, not a proxy) through the bytes.
    for (let end = piece; end < raw.length; end += piece) {
      calls++;
      assert.equal(parser.parse(buf, 0, end).kind, "incomplete");
    }
    assert.equal(parser.parse(real, 0, raw.length).kind, "complete");
    // Once each, the whitespace around values again, and a few per call.
    assert.ok(reads() <= 2 * raw.length + 4 * calls, `pieces of ${piece}: ${reads()} reads`);
  }
});

Deno.test("ResponseHeadParser changes nothing when called again without new bytes", () => {
  const parser = new ResponseHeadParser();
  const buf = bytes("HTTP/1.1 200 OK\r\nServer: up\r");
  for (let end = 1; end <= buf.length; end++) {
    const first = parser.parse(buf, 0, end);
    assert.deepEqual(first, { kind: "incomplete" });
    assert.equal(parser.parse(buf, 0, end), first);
  }
  const rest = "HTTP/1.1 200 OK\r\nServer: up\r\n\r\n";
  assert.deepEqual(parser.parse(bytes(rest), 0, rest.length), parseWhole(rest));
});

Deno.test("ResponseHeadParser does not read past end", () => {
  const buf = bytes("HTTP/1.1 200 OK\r\n\r\nGARBAGE");
  assert.deepEqual(new ResponseHeadParser().parse(buf, 0, 18), { kind: "incomplete" });
});

Deno.test("ResponseHeadParser parses the final head after an interim one", () => {
  const raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
  const buf = bytes(raw);
  const parser = new ResponseHeadParser();
  const statuses: number[] = [];
  let start = 0;
  // Bytes arrive three at a time; the parser is handed the unread ones, until the final head.
  for (let end = 3; statuses.at(-1) !== 200; end = Math.min(buf.length, end + 3)) {
    for (let final = false; !final;) {
      const result = parser.parse(buf, start, end);
      if (result.kind !== "complete") {
        assert.equal(result.kind, "incomplete");
        break;
      }
      statuses.push(result.head.status);
      start += result.consumed;
      final = result.head.status >= 200;
    }
  }
  assert.equal(raw.slice(start), "hi");
  assert.deepEqual(statuses, [100, 103, 200]);
});

Deno.test("ResponseHeadParser starts a new head after an error", () => {
  const parser = new ResponseHeadParser();
  const bad = bytes("HTTP/1.1 200 OK\r\nX: a\0");
  for (let end = 1; end < bad.length; end++) {
    assert.equal(parser.parse(bad, 0, end).kind, "incomplete");
  }
  assert.equal(parser.parse(bad, 0, bad.length).kind, "error");
  const good = "HTTP/1.1 204 No Content\r\n\r\n";
  assert.deepEqual(parser.parse(bytes(good), 0, good.length), parseWhole(good));
});

Deno.test("ResponseHeadParser starts a new head after too big header", () => {
  const limits = { maxHeadBytes: 32 };
  const parser = new ResponseHeadParser(limits);
  const big = bytes(headOfSize(40));
  assert.deepEqual(parser.parse(big, 0, 20), { kind: "incomplete" });
  assert.deepEqual(parser.parse(big, 0, big.length), TOO_BIG);
  const good = "HTTP/1.1 200 OK\r\n\r\n";
  assert.deepEqual(feed(parser, good, () => 1, "moved", limits), parseWhole(good));
});

Deno.test("ResponseHeadParser.reset() abandons a head midway", () => {
  const parser = new ResponseHeadParser();
  const first = bytes("HTTP/1.1 200 OK\r\nServer: a-long");
  assert.deepEqual(parser.parse(first, 0, first.length), { kind: "incomplete" });
  parser.reset();
  const second = "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n";
  assert.deepEqual(feed(parser, second, () => 1, "moved"), parseWhole(second));
});

Deno.test("ResponseHeadParser starts over when handed fewer bytes than it has examined", () => {
  const limits = { maxHeaders: 3 };
  const parser = new ResponseHeadParser(limits);
  const buf = bytes("HTTP/1.1 200 A-long-reason\r\nA: 1\r\nB: 2\r\nC");
  assert.equal(parser.parse(buf, 0, buf.length).kind, "incomplete");
  // A shorter head: the contract is broken; the parser forgets the two header lines it saw.
  const other = "HTTP/1.1 404 X\r\nD: 3\r\nE: 4\r\n\r\n";
  assert.deepEqual(parser.parse(bytes(other), 0, other.length), parseWhole(other, limits));
});
