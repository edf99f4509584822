import assert from "node:assert/strict";
import type { WrkResult } from "../bench/_wrk.ts";
import { formatRow, problems, type Row } from "./_rows.ts";
import type { SiegeResult } from "./_siege.ts";

const SIEGE: SiegeResult = {
  transactions: 1000,
  availability: 100,
  elapsedTime: 5,
  transactionRate: 200,
  successfulTransactions: 1000,
  failedTransactions: 0,
  longestTransaction: 0.5,
  errors: [],
};

const WRK: WrkResult = {
  requestsPerSec: 25000,
  mbPerSec: 40,
  latencyMs: new Map([["99%", 12.5]]),
  non2xx: 0,
  socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
};

Deno.test("problems() lists what makes a run fail", () => {
  const cases: [string, Row, string[]][] = [
    ["clean siege", { name: "s", siege: SIEGE }, []],
    ["clean wrk", { name: "w", wrk: WRK }, []],
    ["failure", { name: "f", failure: "wrk exited" }, ["wrk exited"]],
    [
      "siege losses",
      { name: "s", siege: { ...SIEGE, availability: 99.5, failedTransactions: 5, errors: ["x"] } },
      ["availability 99.5 %", "5 failed transactions", "1 siege errors"],
    ],
    [
      "wrk errors",
      { name: "w", wrk: { ...WRK, non2xx: 3, socketErrors: { ...WRK.socketErrors, read: 2 } } },
      ["socket errors: connect 0, read 2, write 0, timeout 0", "3 non-2xx/3xx responses"],
    ],
  ];
  for (const [name, row, expected] of cases) assert.deepEqual(problems(row), expected, name);
});

Deno.test("formatRow() ends with ok or the problems", () => {
  assert.match(formatRow({ name: "siege mixed URL list", siege: SIEGE }), /200\/s .* ok$/);
  assert.match(formatRow({ name: "w", wrk: WRK }), /^w +25000 req\/s .*p99 12\.5 ms {2}ok$/);
  assert.equal(formatRow({ name: "x", failure: "boom" }), `${"x".padEnd(26)} FAIL: boom`);
});
