import assert from "node:assert/strict";
import {
  type HeadLimits,
  HeadParser,
  type HeadResult,
  parseRequestHead,
} from "../../../lib/http/request_parser.ts";
import type { RequestHead } from "../../../lib/http/request.ts";

const LIMITS = { maxHeaders: 100 };

/** The bytes of a string, one per UTF-16 unit (latin1), so tests can write "\x80" or "\0". */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Parses `raw` placed in a larger buffer (junk around it, non-zero byteOffset). */
function parseWhole(raw: string, limits = LIMITS): HeadResult {
  const outer = bytes("##########" + raw + "@@@@");
  const buf = outer.subarray(3);
  return parseRequestHead(buf, 7, 7 + raw.length, limits);
}

/** Feeds the growing prefixes of `raw` (all but the whole), returning every result. */
function parsePrefixes(raw: string, limits = LIMITS): HeadResult[] {
  const buf = bytes(raw);
  const results: HeadResult[] = [];
  for (let end = 0; end < buf.length; end++) results.push(parseRequestHead(buf, 0, end, limits));
  return results;
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
 * Feeds `raw` through one HeadParser in pieces of the sizes `step()` returns, the way a
 * connection does: each call sees all the pending bytes (the head so far). "in place" keeps them
 * at one offset of one buffer; "moved" copies them, before every call, into a new buffer at a new
 * offset (as when a connection compacts or grows its buffer), with bytes after `end` that would
 * change the answer were they read. Checks every answer against the stateless parse of the same
 * prefix and returns the first one that is not incomplete (or the last one).
 */
function feed(
  parser: HeadParser,
  raw: string,
  step: () => number,
  placement: Placement,
  limits: HeadLimits = LIMITS,
): HeadResult {
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
    const expected = parseRequestHead(whole, 0, length, limits);
    assert.deepEqual(result, expected, `${placement}, after ${length} bytes`);
    if (result.kind !== "incomplete" || length === whole.length) return result;
  }
}

/** Feeds `raw` one byte per call, in place and moved, with random splits, in place and moved. */
function feedAllWays(parser: HeadParser, raw: string, limits: HeadLimits = LIMITS): void {
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

/** Where the request-line ends (its LF), after any leading empty lines. */
function requestLineEnd(raw: string): number {
  let p = 0;
  while (raw[p] === "\n" || (raw[p] === "\r" && raw[p + 1] === "\n")) p += raw[p] === "\n" ? 1 : 2;
  return raw.indexOf("\n", p);
}

function head(partial: Partial<RequestHead>): RequestHead {
  return {
    method: "GET",
    target: "/",
    rawPath: "/",
    query: "",
    minor: 1,
    headers: [],
    ...partial,
  };
}

/**
 * One parser for every table case fed in pieces: it must start each head afresh by itself after
 * answering complete or error.
 */
const SHARED = new HeadParser(LIMITS);

const VALID: { name: string; raw: string; expected: RequestHead }[] = [
  {
    name: "a minimal GET",
    raw: "GET / HTTP/1.1\r\n\r\n",
    expected: head({}),
  },
  {
    name: "headers lower-cased, values trimmed, order kept",
    raw: "GET /a HTTP/1.1\r\nHost: example.com\r\nX-Two:  a b \t\r\nx-two:c\r\nEmpty:\r\n\r\n",
    expected: head({
      target: "/a",
      rawPath: "/a",
      headers: [["host", "example.com"], ["x-two", "a b"], ["x-two", "c"], ["empty", ""]],
    }),
  },
  {
    name: "a query split at the first question mark",
    raw: "GET /a%20b?x=1?y=2 HTTP/1.1\r\nHost: h\r\n\r\n",
    expected: head({
      target: "/a%20b?x=1?y=2",
      rawPath: "/a%20b",
      query: "x=1?y=2",
      headers: [["host", "h"]],
    }),
  },
  {
    name: "an empty query",
    raw: "GET /p? HTTP/1.1\r\n\r\n",
    expected: head({ target: "/p?", rawPath: "/p", query: "" }),
  },
  {
    name: "a fragment dropped from the path",
    raw: "GET /p#frag HTTP/1.1\r\n\r\n",
    expected: head({ target: "/p#frag", rawPath: "/p" }),
  },
  {
    name: "a fragment dropped after the query",
    raw: "GET /p?a=1#frag?x HTTP/1.1\r\n\r\n",
    expected: head({ target: "/p?a=1#frag?x", rawPath: "/p", query: "a=1" }),
  },
  {
    name: "HTTP/1.0",
    raw: "POST /form HTTP/1.0\r\nContent-Length: 3\r\n\r\n",
    expected: head({
      method: "POST",
      target: "/form",
      rawPath: "/form",
      minor: 0,
      headers: [["content-length", "3"]],
    }),
  },
  {
    name: "HTTP/1.9 as HTTP/1.1",
    raw: "GET / HTTP/1.9\r\n\r\n",
    expected: head({}),
  },
  {
    name: "leading empty lines skipped",
    raw: "\r\n\r\n\nGET / HTTP/1.1\r\n\r\n",
    expected: head({}),
  },
  {
    name: "bare LF line endings",
    raw: "GET / HTTP/1.1\nHost: h\n\n",
    expected: head({ headers: [["host", "h"]] }),
  },
  {
    name: "mixed line endings",
    raw: "GET / HTTP/1.1\nHost: h\r\n\n",
    expected: head({ headers: [["host", "h"]] }),
  },
  {
    name: "an absolute-form target",
    raw: "GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\n\r\n",
    expected: head({ target: "http://example.com:8080/a/b?q=1", rawPath: "/a/b", query: "q=1" }),
  },
  {
    name: "an absolute-form target without a path",
    raw: "GET HTTP://example.com HTTP/1.1\r\n\r\n",
    expected: head({ target: "HTTP://example.com", rawPath: "/" }),
  },
  {
    name: "an absolute-form target with a query and no path",
    raw: "GET https://example.com?x HTTP/1.1\r\n\r\n",
    expected: head({ target: "https://example.com?x", rawPath: "/", query: "x" }),
  },
  {
    name: "an asterisk-form OPTIONS",
    raw: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    expected: head({ method: "OPTIONS", target: "*", rawPath: "*", headers: [["host", "h"]] }),
  },
  {
    name: "an extension method with tchars",
    raw: "M-SEARCH! /x HTTP/1.1\r\n\r\n",
    expected: head({ method: "M-SEARCH!", target: "/x", rawPath: "/x" }),
  },
  {
    name: "a case-sensitive method kept as sent",
    raw: "get / HTTP/1.1\r\n\r\n",
    expected: head({ method: "get" }),
  },
  {
    name: "obs-text in the target and a value, decoded as latin1",
    raw: "GET /caf\xe9\x80 HTTP/1.1\r\nX: \x80\x9f\xff\r\n\r\n",
    expected: head({
      target: "/caf\xe9\x80",
      rawPath: "/caf\xe9\x80",
      headers: [["x", "\x80\x9f\xff"]],
    }),
  },
  {
    name: "a tab inside a value and tokens in a name",
    raw: "GET / HTTP/1.1\r\nX-A_b.c~!: a\tb\r\n\r\n",
    expected: head({ headers: [["x-a_b.c~!", "a\tb"]] }),
  },
  {
    name: "a value that is only whitespace",
    raw: "GET / HTTP/1.1\r\nX: \t \r\n\r\n",
    expected: head({ headers: [["x", ""]] }),
  },
];

for (const { name, raw, expected } of VALID) {
  Deno.test(`parseRequestHead() parses ${name}`, () => {
    assert.deepEqual(parseWhole(raw), { kind: "complete", consumed: raw.length, head: expected });
  });

  Deno.test(`parseRequestHead() returns incomplete for every prefix of ${name}`, () => {
    const lineEnd = requestLineEnd(raw);
    parsePrefixes(raw).forEach((result, end) => {
      assert.deepEqual(
        result,
        { kind: "incomplete", inRequestLine: end <= lineEnd },
        `prefix of ${end} bytes`,
      );
    });
  });

  Deno.test(`HeadParser parses ${name} in pieces as it does whole`, () => {
    feedAllWays(SHARED, raw);
  });
}

const INVALID: { name: string; raw: string; status: number }[] = [
  { name: "an empty method", raw: " / HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a non-token method", raw: "G(T / HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a TLS handshake", raw: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", status: 400 },
  { name: "two spaces after the method", raw: "GET  / HTTP/1.1\r\n\r\n", status: 400 },
  { name: "two spaces after the target", raw: "GET /  HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a tab as separator", raw: "GET\t/ HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a space in the target", raw: "GET /a b HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a NUL in the target", raw: "GET /a\0b HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a DEL in the target", raw: "GET /a\x7fb HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a relative target", raw: "GET a/b HTTP/1.1\r\n\r\n", status: 400 },
  { name: "an authority-form target", raw: "CONNECT h:443 HTTP/1.1\r\n\r\n", status: 400 },
  {
    name: "an absolute-form without authority",
    raw: "GET http:///a HTTP/1.1\r\n\r\n",
    status: 400,
  },
  { name: "a scheme starting with a digit", raw: "GET 1http://h/ HTTP/1.1\r\n\r\n", status: 400 },
  { name: "an asterisk-form GET", raw: "GET * HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a missing version", raw: "GET /\r\n\r\n", status: 400 },
  { name: "an empty version", raw: "GET / \r\n\r\n", status: 400 },
  { name: "a lower-case version", raw: "GET / http/1.1\r\n\r\n", status: 400 },
  { name: "a version without minor", raw: "GET / HTTP/1\r\n\r\n", status: 400 },
  { name: "a version with two-digit major", raw: "GET / HTTP/11.1\r\n\r\n", status: 400 },
  { name: "a version with a letter", raw: "GET / HTTP/1.x\r\n\r\n", status: 400 },
  { name: "a space after the version", raw: "GET / HTTP/1.1 \r\n\r\n", status: 400 },
  { name: "HTTP/0.9", raw: "GET / HTTP/0.9\r\n\r\n", status: 505 },
  { name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\n\r\n", status: 505 },
  { name: "HTTP/3", raw: "GET / HTTP/3\r\n\r\n", status: 505 },
  { name: "the HTTP/2 preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505 },
  { name: "a bare CR in the request line", raw: "GET / HTTP/1.1\rHost: h\r\n\r\n", status: 400 },
  { name: "a bare CR before the request line", raw: "\rGET / HTTP/1.1\r\n\r\n", status: 400 },
  { name: "a bare CR ending the head", raw: "GET / HTTP/1.1\r\n\rX", status: 400 },
  { name: "a bare CR in a value", raw: "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", status: 400 },
  { name: "a bare CR after a value", raw: "GET / HTTP/1.1\r\nX: a\r\r\n\r\n", status: 400 },
  { name: "a NUL in a value", raw: "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", status: 400 },
  { name: "a control in a value", raw: "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", status: 400 },
  { name: "a DEL in a value", raw: "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", status: 400 },
  { name: "space before the colon", raw: "GET / HTTP/1.1\r\nHost : h\r\n\r\n", status: 400 },
  { name: "a tab before the colon", raw: "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", status: 400 },
  { name: "an empty header name", raw: "GET / HTTP/1.1\r\n: h\r\n\r\n", status: 400 },
  { name: "a line without colon", raw: "GET / HTTP/1.1\r\nHost\r\n\r\n", status: 400 },
  { name: "a non-token header name", raw: "GET / HTTP/1.1\r\nX(y): h\r\n\r\n", status: 400 },
  { name: "obs-fold with a space", raw: "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", status: 400 },
  { name: "obs-fold with a tab", raw: "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", status: 400 },
  {
    name: "whitespace before the first header",
    raw: "GET / HTTP/1.1\r\n X: a\r\n\r\n",
    status: 400,
  },
];

for (const { name, raw, status } of INVALID) {
  Deno.test(`parseRequestHead() answers ${status} for ${name}`, () => {
    const result = parseWhole(raw);
    assert.equal(result.kind, "error");
    assert.equal(result.kind === "error" && result.status, status);
    assert.ok(result.kind === "error" && result.message.length > 0);
  });

  Deno.test(`parseRequestHead() answers ${status} or incomplete for prefixes of ${name}`, () => {
    parsePrefixes(raw).forEach((result, end) => {
      if (result.kind === "incomplete") return;
      assert.equal(result.kind === "error" && result.status, status, `prefix of ${end} bytes`);
    });
  });

  Deno.test(`HeadParser answers ${status} for ${name} in pieces as it does whole`, () => {
    feedAllWays(SHARED, raw);
  });
}

Deno.test("parseRequestHead() answers 400 before the line ends for a bad method", () => {
  assert.equal(parseRequestHead(bytes("\x16\x03"), 0, 2, LIMITS).kind, "error");
});

Deno.test("parseRequestHead() accepts exactly maxHeaders header lines", () => {
  const raw = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  const result = parseWhole(raw, { maxHeaders: 3 });
  assert.equal(result.kind === "complete" && result.head.headers.length, 3);
});

Deno.test("parseRequestHead() answers 431 over maxHeaders header lines", () => {
  const raw = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
  const result = parseWhole(raw, { maxHeaders: 3 });
  assert.equal(result.kind === "error" && result.status, 431);
});

Deno.test("parseRequestHead() handles more header lines than its first scratch space", () => {
  const lines = Array.from({ length: 300 }, (_, i) => `X-${i}: v${i}\r\n`).join("");
  const result = parseWhole(`GET / HTTP/1.1\r\n${lines}\r\n`, { maxHeaders: 300 });
  assert.equal(result.kind, "complete");
  const headers = result.kind === "complete" ? result.head.headers : [];
  assert.equal(headers.length, 300);
  assert.deepEqual(headers[0], ["x-0", "v0"]);
  assert.deepEqual(headers[299], ["x-299", "v299"]);
});

Deno.test("parseRequestHead() says when the request-line has not ended", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["\r\n", true],
    ["GET /very/long/target", true],
    ["GET / HTTP/1.1\r", true],
    ["GET / HTTP/1.1\r\n", false],
    ["GET / HTTP/1.1\r\nHost: a-long-header-value", false],
  ];
  for (const [raw, inRequestLine] of cases) {
    assert.deepEqual(parseWhole(raw), { kind: "incomplete", inRequestLine }, JSON.stringify(raw));
  }
});

Deno.test("parseRequestHead() finds pipelined requests through consumed", () => {
  const raw = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" +
    "POST /2 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" +
    "GET /3 HTTP/1.0\n\nGET /4 HTTP/1.1\r\n";
  const buf = bytes(raw);
  const targets: string[] = [];
  let start = 0;
  for (;;) {
    const result = parseRequestHead(buf, start, buf.length, LIMITS);
    if (result.kind !== "complete") {
      assert.deepEqual(result, { kind: "incomplete", inRequestLine: false });
      break;
    }
    targets.push(result.head.target);
    start += result.consumed;
    // The body of the POST is the caller's to skip.
    if (result.head.method === "POST") start += 5;
  }
  assert.deepEqual(targets, ["/1", "/2", "/3"]);
});

Deno.test("parseRequestHead() does not read past end", () => {
  const buf = bytes("GET / HTTP/1.1\r\n\r\nGARBAGE");
  const result = parseRequestHead(buf, 0, 17, LIMITS);
  assert.deepEqual(result, { kind: "incomplete", inRequestLine: false });
});

Deno.test("HeadParser accepts maxHeaders lines and answers 431 over them, in pieces", () => {
  const limits = { maxHeaders: 3 };
  const parser = new HeadParser(limits);
  feedAllWays(parser, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  feedAllWays(parser, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits);
});

Deno.test("HeadParser grows its scratch space in the middle of a head fed in pieces", () => {
  const lines = Array.from({ length: 300 }, (_, i) => `X-${i}: v${i}\r\n`).join("");
  const limits = { maxHeaders: 300 };
  feedAllWays(new HeadParser(limits), `GET / HTTP/1.1\r\n${lines}\r\n`, limits);
});

Deno.test("HeadParsers fed in turn, a few bytes each, keep their own header lines", () => {
  // As many connections' heads arrive in pieces at once; some grow past the first scratch space.
  // Their lines differ in length, so one parser's offsets are not another's.
  const raws = [40, 3, 0, 70, 1].map((n, c) =>
    `GET /${"p".repeat(c)} HTTP/1.1\r\n` +
    Array.from({ length: n }, (_, i) => `${"n".repeat(c + 1)}-${i}: ${"v".repeat(i % 7)}\r\n`)
      .join("") +
    "\r\n"
  );
  const parsers = raws.map(() => new HeadParser(LIMITS));
  const bufs = raws.map(bytes);
  const ends = raws.map(() => 0);
  const results: (HeadResult | null)[] = raws.map(() => null);
  for (let turn = 0; results.includes(null); turn++) {
    for (let c = 0; c < raws.length; c++) {
      if (results[c] !== null) continue;
      ends[c] = Math.min(bufs[c]!.length, ends[c]! + 1 + ((turn + c) % 5));
      const result = parsers[c]!.parse(bufs[c]!, 0, ends[c]!);
      if (result.kind !== "incomplete") results[c] = result;
    }
  }
  assert.deepEqual(results, raws.map((raw) => parseWhole(raw)));
});

Deno.test("HeadParser resumes at every kind of boundary", () => {
  // Splits inside and right after every part: CR held as the last byte, empty OWS, long runs.
  const raws = [
    "\r\n\nGET http://h.example/a?b#c HTTP/1.0\r\nA:\r\nB: \t x y \t\r\nC:z\n\r\n",
    "OPTIONS * HTTP/1.1\nX:" + " ".repeat(40) + "v" + "w".repeat(40) + " \r\n\n",
    "GET /" + "p".repeat(200) + " HTTP/1.1\r\n" + "N".repeat(200) + ": " + "v".repeat(200) +
    "\r\n\r\n",
  ];
  const parser = new HeadParser(LIMITS);
  for (const raw of raws) feedAllWays(parser, raw);
});

Deno.test("HeadParser changes nothing when called again without new bytes", () => {
  const parser = new HeadParser(LIMITS);
  const buf = bytes("GET / HTTP/1.1\r\nHost: h\r");
  for (let end = 1; end <= buf.length; end++) {
    const first = parser.parse(buf, 0, end);
    assert.equal(first.kind, "incomplete");
    assert.equal(parser.parse(buf, 0, end), first);
  }
  const rest = bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  assert.deepEqual(
    parser.parse(rest, 0, rest.length),
    parseWhole("GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
  );
});

Deno.test("HeadParser starts a new head after complete, for pipelined requests", () => {
  const raw =
    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\nGET /3 HTTP/1.0\n\n";
  const buf = bytes(raw);
  const parser = new HeadParser(LIMITS);
  const targets: string[] = [];
  let start = 0;
  // Bytes arrive three at a time; the parser is handed the unread ones.
  for (let end = 3; start < buf.length; end = Math.min(buf.length, end + 3)) {
    for (;;) {
      const result = parser.parse(buf, start, end);
      if (result.kind !== "complete") {
        assert.equal(result.kind, "incomplete");
        break;
      }
      targets.push(result.head.target);
      start += result.consumed;
    }
  }
  assert.deepEqual(targets, ["/1", "/2", "/3"]);
});

Deno.test("HeadParser starts a new head after an error", () => {
  const parser = new HeadParser(LIMITS);
  const bad = bytes("GET / HTTP/1.1\r\nX: a\0");
  for (let end = 1; end < bad.length; end++) {
    assert.equal(parser.parse(bad, 0, end).kind, "incomplete");
  }
  assert.equal(parser.parse(bad, 0, bad.length).kind, "error");
  const good = "GET /next HTTP/1.1\r\n\r\n";
  assert.deepEqual(parser.parse(bytes(good), 0, good.length), parseWhole(good));
});

Deno.test("HeadParser.reset() abandons a head midway", () => {
  const parser = new HeadParser(LIMITS);
  const first = bytes("POST /first HTTP/1.1\r\nHost: a-long");
  assert.deepEqual(parser.parse(first, 0, first.length), {
    kind: "incomplete",
    inRequestLine: false,
  });
  parser.reset();
  const second = "GET /second HTTP/1.1\r\nX: y\r\n\r\n";
  assert.deepEqual(feed(parser, second, () => 1, "moved"), parseWhole(second));
});

Deno.test("HeadParser starts over when handed fewer bytes than it has examined", () => {
  const limits = { maxHeaders: 3 };
  const parser = new HeadParser(limits);
  const buf = bytes("GET /abc HTTP/1.1\r\nA: 1\r\nB: 2\r\nC");
  assert.equal(parser.parse(buf, 0, buf.length).kind, "incomplete");
  // A shorter head: the contract is broken; the parser forgets the two header lines it saw.
  const other = "PUT /x HTTP/1.1\r\nD: 3\r\nE: 4\r\n\r\n";
  assert.deepEqual(parser.parse(bytes(other), 0, other.length), parseWhole(other, limits));
});

Deno.test("parseRequestHead() keeps no state between calls", () => {
  const buf = bytes("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  assert.equal(parseRequestHead(buf, 0, 20, LIMITS).kind, "incomplete");
  // A different head at a different offset: parsed from its own start.
  const other = bytes("xxPUT /b HTTP/1.1\r\n\r\n");
  const result = parseRequestHead(other, 2, other.length, LIMITS);
  assert.equal(result.kind === "complete" && result.head.target, "/b");
});
