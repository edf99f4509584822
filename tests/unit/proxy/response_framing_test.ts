import assert from "node:assert/strict";
import { ChunkedDecoder } from "../../../lib/http/chunked.ts";
import {
  hopByHop,
  responseFraming,
  type UpstreamFraming,
} from "../../../lib/proxy/response_framing.ts";
import {
  type ResponseHead,
  ResponseHeadParser,
  type ResponseHeadResult,
} from "../../../lib/proxy/response_parser.ts";

/** The bytes of a string, one per UTF-16 unit (latin1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
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

/** The head of the response `raw`, parsed whole. */
function parseHead(raw: string): ResponseHead {
  const result = new ResponseHeadParser().parse(bytes(raw), 0, raw.length);
  assert.equal(result.kind, "complete", JSON.stringify(raw));
  return (result as { head: ResponseHead }).head;
}

/**
 * Feeds `raw` through one parser in pieces of the sizes `step()` returns; before every call the
 * pending bytes are moved into a new buffer at a new offset, with junk after them.
 */
function feedMoved(parser: ResponseHeadParser, raw: string, step: () => number) {
  const whole = bytes(raw);
  const random = prng(raw.length);
  let result: ResponseHeadResult = { kind: "incomplete" };
  for (let length = 0; result.kind === "incomplete" && length < whole.length;) {
    length = Math.min(whole.length, length + step());
    const start = Math.floor(random() * 8);
    const buf = new Uint8Array(start + length + 4).fill(0x0a);
    buf.set(whole.subarray(0, length), start);
    result = parser.parse(buf, start, start + length);
  }
  return result;
}

const CL_TE = 'upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time';

function unknownCoding(value: string): UpstreamFraming {
  return { kind: "error", message: `upstream sent unknown "Transfer-Encoding": "${value}"` };
}

function invalidLength(value: string): UpstreamFraming {
  return {
    kind: "error",
    message: `upstream sent invalid "Content-Length" header: "content-length: ${value}"`,
  };
}

function duplicate(name: string, value: string, previous: string): UpstreamFraming {
  return {
    kind: "error",
    message:
      `upstream sent duplicate header line: "${name}: ${value}", previous value: "${name}: ${previous}"`,
  };
}

const NONE: UpstreamFraming = { kind: "none" };
const CHUNKED: UpstreamFraming = { kind: "chunked" };
const CLOSE: UpstreamFraming = { kind: "close" };
const UPGRADE: UpstreamFraming = { kind: "upgrade" };

function length(n: number): UpstreamFraming {
  return { kind: "length", length: n };
}

/** `status` line (after "HTTP/1.1 ") and header lines of a response, as the upstream sends it. */
function response(status: string, ...lines: string[]): string {
  return `HTTP/1.1 ${status}\r\n${lines.map((line) => line + "\r\n").join("")}\r\n`;
}

const CASES: { name: string; method?: string; raw: string; expected: UpstreamFraming }[] = [
  // Bodies by length or chunks.
  { name: "a Content-Length", raw: response("200 OK", "Content-Length: 5"), expected: length(5) },
  { name: "Content-Length: 0", raw: response("200 OK", "Content-Length: 0"), expected: NONE },
  { name: "leading zeros", raw: response("200 OK", "Content-Length: 007"), expected: length(7) },
  {
    name: "the largest safe length",
    raw: response("200 OK", "Content-Length: 9007199254740991"),
    expected: length(9007199254740991),
  },
  {
    name: "chunked",
    raw: response("200 OK", "Transfer-Encoding: chunked"),
    expected: CHUNKED,
  },
  {
    name: "chunked in another case",
    raw: response("200 OK", "transfer-encoding: ChUnKeD "),
    expected: CHUNKED,
  },
  { name: "no framing", raw: response("200 OK"), expected: CLOSE },
  { name: "no framing on a 404", raw: response("404 Not Found", "X: y"), expected: CLOSE },
  {
    name: "an HTTP/1.0 length",
    raw: "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n",
    expected: length(3),
  },
  { name: "an HTTP/1.0 response without length", raw: "HTTP/1.0 200 OK\r\n\r\n", expected: CLOSE },

  // No body, whatever the headers say.
  {
    name: "a HEAD response with a length",
    method: "HEAD",
    raw: response("200 OK", "Content-Length: 5"),
    expected: NONE,
  },
  {
    name: "a HEAD response that is chunked",
    method: "HEAD",
    raw: response("200 OK", "Transfer-Encoding: chunked"),
    expected: NONE,
  },
  {
    name: "a HEAD response without length",
    method: "HEAD",
    raw: response("200 OK"),
    expected: NONE,
  },
  { name: "a 204", raw: response("204 No Content", "Content-Length: 5"), expected: NONE },
  { name: "a 304", raw: response("304 Not Modified", "Content-Length: 100"), expected: NONE },
  {
    name: "a chunked 304",
    raw: response("304 Not Modified", "Transfer-Encoding: chunked"),
    expected: NONE,
  },
  { name: "a 100 Continue", raw: response("100 Continue"), expected: NONE },
  { name: "a 103 Early Hints", raw: response("103 Early Hints", "Link: </a>"), expected: NONE },
  {
    name: "a method in lower case is not HEAD",
    method: "head",
    raw: response("200 OK"),
    expected: CLOSE,
  },

  // Upgrades.
  {
    name: "a 101 Switching Protocols",
    raw: response("101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"),
    expected: UPGRADE,
  },
  {
    name: "a 101 to HEAD",
    method: "HEAD",
    raw: response("101 Switching Protocols"),
    expected: UPGRADE,
  },
  { name: "a 2xx to CONNECT", method: "CONNECT", raw: response("200 OK"), expected: UPGRADE },
  {
    name: "a 407 to CONNECT",
    method: "CONNECT",
    raw: response("407 Proxy Authentication Required", "Content-Length: 4"),
    expected: length(4),
  },

  // Smuggling-style framings.
  {
    name: "Content-Length then Transfer-Encoding",
    raw: response("200 OK", "Content-Length: 5", "Transfer-Encoding: chunked"),
    expected: { kind: "error", message: CL_TE },
  },
  {
    name: "Transfer-Encoding then Content-Length",
    raw: response("200 OK", "Transfer-Encoding: chunked", "Content-Length: 5"),
    expected: { kind: "error", message: CL_TE },
  },
  {
    name: "Content-Length and Transfer-Encoding on a 204",
    raw: response("204 No Content", "Content-Length: 0", "Transfer-Encoding: chunked"),
    expected: { kind: "error", message: CL_TE },
  },
  {
    name: "Content-Length and Transfer-Encoding to HEAD",
    method: "HEAD",
    raw: response("200 OK", "Transfer-Encoding: chunked", "Content-Length: 5"),
    expected: { kind: "error", message: CL_TE },
  },
  {
    name: "chunked, identity",
    raw: response("200 OK", "Transfer-Encoding: chunked, identity"),
    expected: unknownCoding("chunked, identity"),
  },
  {
    name: "gzip, chunked (not decodable, as nginx)",
    raw: response("200 OK", "Transfer-Encoding: gzip, chunked"),
    expected: unknownCoding("gzip, chunked"),
  },
  {
    name: "a coding that does not end in chunked",
    raw: response("200 OK", "Transfer-Encoding: gzip"),
    expected: unknownCoding("gzip"),
  },
  {
    name: "identity",
    raw: response("200 OK", "Transfer-Encoding: identity"),
    expected: unknownCoding("identity"),
  },
  {
    name: "an empty Transfer-Encoding",
    raw: response("200 OK", "Transfer-Encoding: "),
    expected: unknownCoding(""),
  },
  {
    name: "chunked on two lines",
    raw: response("200 OK", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
    expected: duplicate("transfer-encoding", "chunked", "chunked"),
  },
  {
    name: "chunked on HTTP/1.0",
    raw: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    expected: {
      kind: "error",
      message: 'upstream sent "Transfer-Encoding" in an HTTP/1.0 response',
    },
  },
  {
    name: "Content-Length: 1, 2",
    raw: response("200 OK", "Content-Length: 1, 2"),
    expected: invalidLength("1, 2"),
  },
  {
    name: "Content-Length: 5, 5",
    raw: response("200 OK", "Content-Length: 5, 5"),
    expected: invalidLength("5, 5"),
  },
  {
    name: "Content-Length: +5",
    raw: response("200 OK", "Content-Length: +5"),
    expected: invalidLength("+5"),
  },
  {
    name: "Content-Length: -1",
    raw: response("200 OK", "Content-Length: -1"),
    expected: invalidLength("-1"),
  },
  {
    name: "a hex Content-Length",
    raw: response("200 OK", "Content-Length: 0x5"),
    expected: invalidLength("0x5"),
  },
  {
    name: "a Content-Length with a space inside",
    raw: response("200 OK", "Content-Length: 1 2"),
    expected: invalidLength("1 2"),
  },
  {
    name: "an empty Content-Length",
    raw: response("200 OK", "Content-Length:"),
    expected: invalidLength(""),
  },
  {
    name: "a Content-Length past 2^53",
    raw: response("200 OK", "Content-Length: 9007199254740992"),
    expected: invalidLength("9007199254740992"),
  },
  {
    name: "an invalid Content-Length on a 304",
    raw: response("304 Not Modified", "Content-Length: abc"),
    expected: invalidLength("abc"),
  },
  {
    name: "equal Content-Length lines (nginx rejects them too)",
    raw: response("200 OK", "Content-Length: 5", "Content-Length: 5"),
    expected: duplicate("content-length", "5", "5"),
  },
  {
    name: "different Content-Length lines",
    raw: response("200 OK", "Content-Length: 5", "content-length: 6"),
    expected: duplicate("content-length", "6", "5"),
  },
  {
    name: "a 1xx on HTTP/1.0",
    raw: "HTTP/1.0 100 Continue\r\n\r\n",
    expected: { kind: "error", message: 'upstream sent HTTP/1.0 response with status "100"' },
  },
  {
    name: "a 101 on HTTP/1.0",
    raw: "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    expected: { kind: "error", message: 'upstream sent HTTP/1.0 response with status "101"' },
  },
  {
    name: "early hints on HTTP/1.0",
    raw: "HTTP/1.0 103 Early Hints\r\n\r\n",
    expected: { kind: "error", message: "upstream sent HTTP/1.0 response with early hints" },
  },
];

/** One parser for every case fed in pieces: it starts each head afresh by itself. */
const SHARED = new ResponseHeadParser();

for (const { name, method = "GET", raw, expected } of CASES) {
  Deno.test(`responseFraming() answers ${expected.kind} for ${name}`, () => {
    assert.deepEqual(responseFraming(method, parseHead(raw)), expected);
  });

  Deno.test(`responseFraming() answers the same for ${name} parsed in pieces`, () => {
    const whole = new ResponseHeadParser().parse(bytes(raw), 0, raw.length);
    assert.deepEqual(feedMoved(SHARED, raw, () => 1), whole, "one byte at a time");
    for (let seed = 1; seed <= 8; seed++) {
      const random = prng(seed);
      const result = feedMoved(SHARED, raw, () => 1 + Math.floor(random() * 6));
      assert.deepEqual(result, whole, `random splits, seed ${seed}`);
      const head = (result as { head: ResponseHead }).head;
      assert.deepEqual(responseFraming(method, head), expected, `random splits, seed ${seed}`);
    }
  });
}

Deno.test("responseFraming() hands a chunked body to ChunkedDecoder", () => {
  const raw = response("200 OK", "Transfer-Encoding: chunked") +
    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  const buf = bytes(raw);
  const parser = new ResponseHeadParser();
  const result = parser.parse(buf, 0, buf.length);
  assert.equal(result.kind, "complete");
  const { consumed, head } = result as { consumed: number; head: ResponseHead };
  assert.deepEqual(responseFraming("GET", head), CHUNKED);
  const decoder = new ChunkedDecoder();
  const body = decoder.decode(buf, consumed, buf.length);
  assert.ok(body.done);
  const text = body.data.map((data) => new TextDecoder().decode(data)).join("");
  assert.equal(text, "hello world");
  // The next response on the connection starts where the body ended.
  const next = parser.parse(buf, consumed + body.consumed, buf.length);
  assert.equal(next.kind === "complete" && next.head.status, 204);
});

const FIXED = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

Deno.test("hopByHop() names the hop-by-hop fields when there is no Connection", () => {
  assert.deepEqual([...hopByHop([])].sort(), FIXED);
  assert.deepEqual(
    [...hopByHop(parseHead(response("200 OK", "Server: up")).headers)].sort(),
    FIXED,
  );
});

Deno.test("hopByHop() adds every name listed in Connection, any case, any number of lines", () => {
  const head = parseHead(
    response("200 OK", "Connection: Keep-Alive, X-Foo ,, x-BAR\t", "Connection: close, X-Baz"),
  );
  assert.deepEqual(
    [...hopByHop(head.headers)].sort(),
    [...FIXED, "close", "x-bar", "x-baz", "x-foo"].sort(),
  );
});

Deno.test("hopByHop() gives the fields to drop when passing a response on", () => {
  const head = parseHead(
    response(
      "200 OK",
      "Connection: x-secret",
      "Keep-Alive: timeout=5",
      "Proxy-Connection: keep-alive",
      "X-Secret: 1",
      "Trailer: Expires",
      "TE: trailers",
      "Upgrade: h2c",
      "Transfer-Encoding: chunked",
      "Content-Type: text/plain",
      "Set-Cookie: a=1",
    ),
  );
  const drop = hopByHop(head.headers);
  assert.deepEqual(head.headers.filter(([name]) => !drop.has(name)), [
    ["content-type", "text/plain"],
    ["set-cookie", "a=1"],
  ]);
});
