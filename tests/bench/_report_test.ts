import assert from "node:assert/strict";
import { barChartSvg, formatRatios, formatTable, runJson } from "./_report.ts";
import { parseWrkOutput } from "./_wrk.ts";

const RUN = parseWrkOutput(`Running 5s test @ http://127.0.0.1:1/1k.bin
  Latency Distribution
     50%    1.00ms
     99%    4.00ms
  1000 requests in 5.00s, 1.00MB read
Requests/sec:   2000.00
Transfer/sec:      2.00MB
`);
const SLOW = parseWrkOutput(`  Latency Distribution
     99%    8.00ms
Requests/sec:   1000.00
Transfer/sec:      1.00MB
`);

Deno.test("formatTable() adds the -c200 and -c1000 columns when a row has them", () => {
  const rows = [
    { name: "webserv", small: RUN, large: RUN, tail200: RUN, tail1000: SLOW, note: null },
    { name: "raw", small: RUN, large: null, note: null },
  ];
  const lines = formatTable(rows).split("\n");
  assert.match(lines[0]!, /-c200 p99 ms \| -c1000 req\/s \| -c1000 p99 ms \|/);
  assert.equal(lines[2], "| webserv | 2000 | 4.00 | 2000 | 4.00 | 1000 | 8.00 | 2 | 0 |");
  assert.equal(lines[3], "| raw | 2000 | 4.00 | – | – | – | – | – | 0 |");
});

Deno.test("formatRatios() gives the tails' p99 ratios when both servers were measured so", () => {
  const rows = [
    { name: "webserv", small: RUN, large: RUN, tail200: SLOW, tail1000: SLOW, note: null },
    { name: "nginx", small: SLOW, large: RUN, tail200: RUN, tail1000: RUN, note: null },
  ];
  assert.equal(
    formatRatios(rows, ["nginx"]),
    "webserv/nginx: 1 KiB 2.00×, 100 MB 1.00×, p99 -c200 2.00×, p99 -c1000 2.00×",
  );
});

Deno.test("runJson() and barChartSvg() describe the runs", () => {
  assert.deepEqual(runJson(RUN)?.latencyMs, { "50%": 1, "99%": 4 });
  assert.equal(runJson(null), null);
  const svg = barChartSvg("req/s <1 KiB>", "req/s", [["webserv", 2000], ["nginx", 1000]]);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /req\/s &lt;1 KiB&gt;/);
  assert.equal(svg.match(/<rect x=/g)?.length, 2);
  assert.match(svg, />2000 req\/s</);
});
