import assert from "node:assert/strict";
import { parseRange } from "../../../lib/filters/_range.ts";

const PARSE_RANGE_CASES: [header: string, size: number, expected: ReturnType<typeof parseRange>][] =
  [
    ["bytes=0-499", 1000, { start: 0, end: 499 }],
    ["bytes=500-", 1000, { start: 500, end: 999 }],
    ["bytes=-500", 1000, { start: 500, end: 999 }],
    ["bytes=0-", 0, "unsatisfiable"],
    ["bytes=-5", 0, null],
    ["bytes=1000-", 1000, "unsatisfiable"],
    ["bytes=0-499,500-", 1000, null],
    ["bytes 0-1", 1000, null],
    ["bytes=1-x", 1000, null],
    ["bytes=+1-2", 1000, null],
  ];

for (const [value, size, expected] of PARSE_RANGE_CASES) {
  Deno.test(`parseRange() returns ${JSON.stringify(expected)} for "${value}" of ${size}`, () => {
    assert.deepEqual(parseRange(value, size), expected);
  });
}
