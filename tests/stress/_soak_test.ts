import assert from "node:assert/strict";
import { formatRssGrowth, rssGrowth } from "./_soak.ts";

Deno.test("rssGrowth() compares the last round with the first", () => {
  const cases: [string, number[], { growth: number; ok: boolean }][] = [
    ["flat", [100, 130, 100], { growth: 0, ok: true }],
    ["shrinking", [100, 90], { growth: -0.1, ok: true }],
    ["at the limit", [100, 110, 120], { growth: 0.2, ok: true }],
    ["past the limit", [100, 105, 121], { growth: 0.21, ok: false }],
  ];
  for (const [name, rounds, expected] of cases) {
    const g = rssGrowth(rounds);
    assert.equal(g.firstMiB, rounds[0], name);
    assert.equal(g.lastMiB, rounds.at(-1), name);
    assert.ok(Math.abs(g.growth - expected.growth) < 1e-9, name);
    assert.equal(g.ok, expected.ok, name);
  }
});

Deno.test("rssGrowth() throws with fewer than two rounds", () => {
  assert.throws(() => rssGrowth([100]), /two rounds to compare, got "1"/);
});

Deno.test("formatRssGrowth() prints both figures, the growth and the verdict", () => {
  assert.equal(
    formatRssGrowth(rssGrowth([80, 90, 84]), 3),
    "RSS after round 1 80.0 MiB, after round 3 84.0 MiB: growth +5.0 % (limit +20 %) ok",
  );
  assert.equal(
    formatRssGrowth(rssGrowth([80, 100]), 2),
    "RSS after round 1 80.0 MiB, after round 2 100.0 MiB: growth +25.0 % (limit +20 %) FAIL",
  );
  assert.match(formatRssGrowth(rssGrowth([80, 76]), 2), /growth -5\.0 %/);
});

Deno.test("rssGrowth() can take a later round as the baseline", () => {
  const g = rssGrowth([50, 120, 140, 141, 142], 0.2, 1);
  assert.equal(g.firstRound, 2);
  assert.equal(g.firstMiB, 120);
  assert.ok(g.ok);
  assert.equal(rssGrowth([50, 60], 0.2, 5).firstRound, 1);
  assert.match(formatRssGrowth(g, 5), /^RSS after round 2 120\.0 MiB, after round 5 142\.0 MiB/);
});
