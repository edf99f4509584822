import assert from "node:assert/strict";
import { formatSize, formatTime, parseSize, parseTime } from "../../../lib/config/units.ts";

const SIZES: Array<[text: string, bytes: number | null]> = [
  ["0", 0],
  ["512", 512],
  ["8k", 8192],
  ["8K", 8192],
  ["1m", 1048576],
  ["100M", 104857600],
  ["2g", 2147483648],
  ["1G", 1073741824],
  ["007", 7],
  ["", null],
  ["k", null],
  ["1.5m", null],
  ["-1", null],
  ["10x", null],
  ["1mb", null],
  [" 1m", null],
  ["1 m", null],
  ["99999999999999999999", null],
  ["9999999999g", null],
];

for (const [text, bytes] of SIZES) {
  Deno.test(`parseSize() returns ${bytes} for "${text}"`, () => {
    assert.equal(parseSize(text), bytes);
  });
}

const TIMES: Array<[text: string, ms: number | null]> = [
  ["0", 0],
  ["75", 75_000],
  ["500ms", 500],
  ["30s", 30_000],
  ["5m", 300_000],
  ["1h", 3_600_000],
  ["1d", 86_400_000],
  ["1w", 604_800_000],
  ["1M", 2_592_000_000],
  ["1y", 31_536_000_000],
  ["1m30s", 90_000],
  ["1h 5m", 3_900_000],
  ["1m30", 90_000],
  ["1s500ms", 1500],
  ["", null],
  ["s", null],
  ["ms", null],
  ["1.5s", null],
  ["-1s", null],
  ["10x", null],
  ["30s1m", null],
  ["1m1m", null],
  ["30 1s", null],
  ["1 s", null],
  [" 1s", null],
  ["99999999999999999999y", null],
];

for (const [text, ms] of TIMES) {
  Deno.test(`parseTime() returns ${ms} for "${text}"`, () => {
    assert.equal(parseTime(text), ms);
  });
}

Deno.test("formatTime() spells milliseconds in days and below, largest unit first", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1, "1ms"],
    [1500, "1s500ms"],
    [90_000, "1m30s"],
    [24 * 86_400_000, "24d"],
    [365 * 86_400_000 + 3_600_000, "365d1h"],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatTime(ms), text);
    assert.equal(parseTime(text), ms);
  }
});

Deno.test("formatSize() uses the largest unit that divides the size", () => {
  const cases: [number, string][] = [[0, "0"], [100, "100"], [8192, "8k"], [1536, "1536"], [
    1024 ** 3,
    "1g",
  ], [3 * 1024 ** 2, "3m"]];
  for (const [bytes, text] of cases) {
    assert.equal(formatSize(bytes), text);
    assert.equal(parseSize(text), bytes);
  }
});
