import assert from "node:assert/strict";
import { baselineRound, isOdd } from "./_hostile.ts";

Deno.test("isOdd() flags hangs, broken responses and 5xx the input did not call for", () => {
  const cases: [string, boolean][] = [
    ["200", false],
    ["400", false],
    ["200+404", false],
    ["closed", false],
    ["501", false],
    ["505", false],
    ["timeout", true],
    ["broken response: Error: short", true],
    ["500", true],
    ["200+502", true],
  ];
  for (const [outcome, odd] of cases) assert.equal(isOdd(outcome), odd, outcome);
});

Deno.test("baselineRound() is the last round of the first third", () => {
  assert.deepEqual([1, 2, 3, 4, 6, 9, 10].map(baselineRound), [0, 0, 0, 1, 1, 2, 3]);
});
