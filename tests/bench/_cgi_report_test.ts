import assert from "node:assert/strict";
import { formatCgiRatios, formatCgiTable } from "./_cgi_report.ts";
import type { WrkResult } from "./_wrk.ts";

function run(requestsPerSec: number, non2xx = 0, read = 0): WrkResult {
  return {
    requestsPerSec,
    mbPerSec: 0.01,
    latencyMs: new Map(),
    non2xx,
    socketErrors: { connect: 0, read, write: 0, timeout: 0 },
  };
}

const LANGUAGES = ["python", "php"];

Deno.test("formatCgiTable() shows req/s per language, errors and skipped servers", () => {
  const rows = [
    {
      name: "webserv",
      runs: new Map([["python", run(99.44)], ["php", run(78.1, 2, 1)]]),
      note: null,
    },
    { name: "lighttpd", runs: new Map(), note: `skipped: "/usr/sbin/lighttpd" not installed` },
  ];
  assert.equal(
    formatCgiTable(rows, LANGUAGES),
    [
      "| server | python req/s | php req/s | errors |",
      "|---|---:|---:|---|",
      "| webserv | 99.4 | 78.1 | non-2xx 2, read 1 |",
      `| lighttpd | – | – | skipped: "/usr/sbin/lighttpd" not installed |`,
    ].join("\n"),
  );
});

Deno.test("formatCgiRatios() divides webserv's rates by the baseline's", () => {
  const cases: [string, { name: string; runs: Map<string, WrkResult>; note: null }[], string][] = [
    [
      "both ran",
      [
        { name: "webserv", runs: new Map([["python", run(90)], ["php", run(80)]]), note: null },
        { name: "lighttpd", runs: new Map([["python", run(100)], ["php", run(80)]]), note: null },
      ],
      "webserv/lighttpd: python 0.90×, php 1.00×",
    ],
    [
      "php missing on one side",
      [
        { name: "webserv", runs: new Map([["python", run(90)], ["php", run(80)]]), note: null },
        { name: "lighttpd", runs: new Map([["python", run(45)]]), note: null },
      ],
      "webserv/lighttpd: python 2.00×, php –",
    ],
    [
      "no baseline",
      [{ name: "webserv", runs: new Map([["python", run(90)]]), note: null }],
      "webserv/lighttpd: python –, php –",
    ],
  ];
  for (const [name, rows, expected] of cases) {
    assert.equal(formatCgiRatios(rows, "lighttpd", LANGUAGES), expected, name);
  }
});
