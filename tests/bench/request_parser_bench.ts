/**
 * `deno bench --allow-all tests/bench/request_parser_bench.ts`: the request-head parser on a
 * ~30 KB head (many header lines) parsed whole, and fed one byte per call through one
 * {@linkcode HeadParser} (linear: every byte examined once); a 4 KB head fed one byte per call
 * through the stateless {@linkcode parseRequestHead} as well, which starts over on every call
 * (quadratic); and a typical browser request, parsed whole. In each group the whole-head parse is
 * the baseline, so the "x slower" figures are per-byte ratios: the same bytes, split differently.
 */
import {
  type HeadLimits,
  HeadParser,
  type HeadResult,
  parseRequestHead,
} from "../../lib/http/request_parser.ts";

const LIMITS: HeadLimits = { maxHeaders: 10_000 };

/** A head of about `size` bytes: a request-line, a Host and `X-Header-N: value` lines. */
function bigHead(size: number): Uint8Array {
  let text = "GET /some/path/to/a/resource?query=string&x=1 HTTP/1.1\r\nHost: example.com\r\n";
  for (let i = 0; text.length < size - 2; i++) {
    text += `X-Header-${i}: some-value-${i}; with=params, and more\r\n`;
  }
  return new TextEncoder().encode(text + "\r\n");
}

const BROWSER = new TextEncoder().encode(
  "GET /static/app.js?v=1234 HTTP/1.1\r\n" +
    "Host: www.example.com\r\n" +
    "Connection: keep-alive\r\n" +
    'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"\r\n' +
    "sec-ch-ua-mobile: ?0\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
    "Chrome/124.0.0.0 Safari/537.36\r\n" +
    'sec-ch-ua-platform: "Linux"\r\n' +
    "Accept: */*\r\n" +
    "Sec-Fetch-Site: same-origin\r\n" +
    "Sec-Fetch-Mode: no-cors\r\n" +
    "Sec-Fetch-Dest: script\r\n" +
    "Referer: https://www.example.com/\r\n" +
    "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
    "Accept-Language: en-US,en;q=0.9\r\n" +
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark; " +
    "_ga=GA1.1.123456789.1700000000\r\n" +
    "\r\n",
);

const HEAD_30K = bigHead(30 * 1024);
const HEAD_4K = bigHead(4 * 1024);

/** Throws unless the last result is the whole head: a benchmark must not measure a failure. */
function check(result: HeadResult, buf: Uint8Array): void {
  if (result.kind !== "complete" || result.consumed !== buf.length) {
    throw new Error(`unexpected result: ${JSON.stringify(result)}`);
  }
}

function whole(parser: HeadParser, buf: Uint8Array): void {
  check(parser.parse(buf, 0, buf.length), buf);
}

function byteByByte(parser: HeadParser, buf: Uint8Array): void {
  let result: HeadResult = { kind: "incomplete", inRequestLine: true };
  for (let end = 1; end <= buf.length; end++) result = parser.parse(buf, 0, end);
  check(result, buf);
}

function statelessByteByByte(buf: Uint8Array): void {
  let result: HeadResult = { kind: "incomplete", inRequestLine: true };
  for (let end = 1; end <= buf.length; end++) result = parseRequestHead(buf, 0, end, LIMITS);
  check(result, buf);
}

const parser = new HeadParser(LIMITS);

Deno.bench({
  name: `${HEAD_30K.length}-byte head, whole`,
  group: "30k",
  baseline: true,
  fn: () => whole(parser, HEAD_30K),
});
Deno.bench({
  name: `${HEAD_30K.length}-byte head, one byte per call, one HeadParser`,
  group: "30k",
  fn: () => byteByByte(parser, HEAD_30K),
});

Deno.bench({
  name: `${HEAD_4K.length}-byte head, whole`,
  group: "4k",
  baseline: true,
  fn: () => whole(parser, HEAD_4K),
});
Deno.bench({
  name: `${HEAD_4K.length}-byte head, one byte per call, one HeadParser`,
  group: "4k",
  fn: () => byteByByte(parser, HEAD_4K),
});
Deno.bench({
  name: `${HEAD_4K.length}-byte head, one byte per call, parseRequestHead (starts over)`,
  group: "4k",
  fn: () => statelessByteByByte(HEAD_4K),
});

Deno.bench({
  name: `${BROWSER.length}-byte browser request, whole, HeadParser`,
  group: "browser",
  baseline: true,
  fn: () => whole(parser, BROWSER),
});
Deno.bench({
  name: `${BROWSER.length}-byte browser request, whole, parseRequestHead`,
  group: "browser",
  fn: () => check(parseRequestHead(BROWSER, 0, BROWSER.length, LIMITS), BROWSER),
});
