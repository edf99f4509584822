import assert from "node:assert/strict";
import { parseWrkOutput } from "./_wrk.ts";
import { formatRatios, formatTable } from "./_report.ts";

const WITH_LATENCY = `Running 1s test @ http://127.0.0.1:34499/a
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.87ms  459.53us   7.84ms   87.51%
    Req/Sec     2.27k    67.53     2.36k    72.73%
  Latency Distribution
     50%  811.00us
     75%    1.02ms
     90%    1.26ms
     99%    2.18s
  2486 requests in 1.10s, 490.60KB read
Requests/sec:   2259.67
Transfer/sec:    445.93KB
`;

const WITH_ERRORS = `Running 1s test @ http://127.0.0.1:34499/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.90ms  489.08us   4.35ms   81.55%
    Req/Sec     2.22k   303.97     2.56k    72.73%
  2433 requests in 1.10s, 1.21MB read
  Socket errors: connect 0, read 3, write 1, timeout 7
  Non-2xx or 3xx responses: 2433
Requests/sec:   2212.96
Transfer/sec:      2.50GB
`;

Deno.test("parseWrkOutput() reads rates and the latency distribution", () => {
  const r = parseWrkOutput(WITH_LATENCY);
  assert.equal(r.requestsPerSec, 2259.67);
  assert.equal(r.mbPerSec, 445.93 / 1024);
  assert.deepEqual([...r.latencyMs], [["50%", 0.811], ["75%", 1.02], ["90%", 1.26], [
    "99%",
    2180,
  ]]);
  assert.equal(r.non2xx, 0);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
});

Deno.test("parseWrkOutput() reads non-2xx responses and socket errors", () => {
  const r = parseWrkOutput(WITH_ERRORS);
  assert.equal(r.mbPerSec, 2.5 * 1024);
  assert.equal(r.latencyMs.size, 0);
  assert.equal(r.non2xx, 2433);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 3, write: 1, timeout: 7 });
});

Deno.test("parseWrkOutput() throws on output without a Requests/sec line", () => {
  assert.throws(
    () => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused\n"),
    /No "Requests\/sec"/,
  );
});

Deno.test("formatTable() and formatRatios() report runs, errors and skipped servers", () => {
  const run = parseWrkOutput(WITH_LATENCY);
  const bad = parseWrkOutput(WITH_ERRORS);
  const rows = [
    { name: "webserv", small: run, large: bad, note: null },
    { name: "Deno.serve", small: bad, large: run, note: null },
    { name: "nginx", small: null, large: null, note: `skipped: "nginx" not installed` },
  ];
  assert.equal(
    formatTable(rows),
    [
      "| server | 1 KiB req/s | 1 KiB p99 ms | 100 MB MB/s | errors |",
      "|---|---:|---:|---:|---|",
      "| webserv | 2260 | 2180.00 | 2560 | non-2xx 2433, read 3, write 1, timeout 7 |",
      "| Deno.serve | 2213 | – | 0 | non-2xx 2433, read 3, write 1, timeout 7 |",
      `| nginx | – | – | – | skipped: "nginx" not installed |`,
    ].join("\n"),
  );
  assert.equal(
    formatRatios(rows, ["Deno.serve", "nginx"]),
    "webserv/Deno.serve: 1 KiB 1.02×, 100 MB 5878.59×\nwebserv/nginx: 1 KiB –, 100 MB –",
  );
});
