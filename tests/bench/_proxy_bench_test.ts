import assert from "node:assert/strict";
import {
  formatRunRatio,
  formatRunTable,
  nginxConfig,
  parseRawResponse,
  proxyLines,
  type RunRow,
} from "./_proxy_bench.ts";
import type { WrkResult } from "./_wrk.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function run(requestsPerSec: number, p50: number, p99: number, non2xx = 0): WrkResult {
  return {
    requestsPerSec,
    mbPerSec: 1,
    latencyMs: new Map([["50%", p50], ["99%", p99]]),
    non2xx,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

Deno.test("parseRawResponse() reads Content-Length, chunked and close-delimited bodies", () => {
  const length = parseRawResponse(
    bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Upstream: a\r\nX-Upstream: b\r\n\r\nhello"),
  );
  assert.equal(length.status, 200);
  assert.equal(text(length.body), "hello");
  assert.equal(length.headers.get("x-upstream"), "a, b");

  const chunked = parseRawResponse(
    bytes(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\n\r\n",
    ),
  );
  assert.equal(text(chunked.body), "hello!");

  const closed = parseRawResponse(bytes("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nnope"));
  assert.equal(closed.status, 404);
  assert.equal(text(closed.body), "nope");
});

Deno.test("parseRawResponse() throws on a short or malformed answer", () => {
  const cases: [string, RegExp][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello", /Body short: 5 of 9/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n", /No end of the response head/],
    ["SPDY 200\r\n\r\n", /Bad status line/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /Bad chunk size "zz"/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc", /Truncated chunk/],
  ];
  for (const [raw, error] of cases) assert.throws(() => parseRawResponse(bytes(raw)), error, raw);
});

Deno.test("nginxConfig() and proxyLines() give both proxies the same upstream block", () => {
  const lines = proxyLines(4321);
  const conf = nginxConfig({
    prefix: "/tmp/p",
    port: 1234,
    http: lines.http,
    server: lines.location,
  });
  assert.match(conf, /^ {2}upstream app \{ server 127\.0\.0\.1:4321; keepalive 32; \}$/m);
  assert.match(conf, /^ {4}listen 127\.0\.0\.1:1234;$/m);
  assert.match(conf, /^ {6}proxy_pass http:\/\/app;$/m);
  assert.match(conf, /^ {6}proxy_http_version 1\.1;$/m);
  assert.match(conf, /^ {6}proxy_set_header Connection "";$/m);
  assert.match(conf, /^pid \/tmp\/p\/nginx\.pid;$/m);
  assert.match(conf, /^ {2}proxy_temp_path \/tmp\/p\/proxy;$/m);
  // Balanced braces.
  assert.equal(conf.split("{").length, conf.split("}").length);
});

Deno.test("formatRunTable() and formatRunRatio() report runs, details and failures", () => {
  const rows: RunRow[] = [
    { name: "webserv", run: run(5000.4, 1.234, 20), detail: "br", note: null },
    { name: "nginx", run: run(10000, 1, 10, 3), detail: "gzip", note: null },
    { name: "other", run: null, note: "failed: probe: status 502" },
  ];
  assert.equal(
    formatRunTable(rows),
    [
      "| server | req/s | p50 ms | p99 ms | errors |",
      "|---|---:|---:|---:|---|",
      "| webserv | 5000 | 1.23 | 20.00 | 0 |",
      "| nginx | 10000 | 1.00 | 10.00 | non-2xx 3 |",
      "| other | – | – | – | failed: probe: status 502 |",
    ].join("\n"),
  );
  assert.equal(
    formatRunTable(rows, "encoding"),
    [
      "| server | encoding | req/s | p50 ms | p99 ms | errors |",
      "|---|---|---:|---:|---:|---|",
      "| webserv | br | 5000 | 1.23 | 20.00 | 0 |",
      "| nginx | gzip | 10000 | 1.00 | 10.00 | non-2xx 3 |",
      "| other | – | – | – | – | failed: probe: status 502 |",
    ].join("\n"),
  );
  assert.equal(formatRunRatio(rows, "webserv", "nginx"), "webserv/nginx: req/s 0.50×, p99 2.00×");
  assert.equal(formatRunRatio(rows, "webserv", "other"), "webserv/other: req/s –, p99 –");
});
