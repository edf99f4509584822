import assert from "node:assert/strict";
import { parseRetryAfter, pollDelay, sleep } from "../../../lib/acme/backoff.ts";

Deno.test("Retry-After: delay-seconds and HTTP-dates, in ms from now; junk is undefined", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0, "a past date: now");
  for (const junk of [null, undefined, "", "-1", "1.5", "soon", "2026-01-01"]) {
    assert.equal(parseRetryAfter(junk, now), undefined, String(junk));
  }
});

Deno.test("poll delays: exponential from the initial interval, Retry-After first, both clamped", () => {
  const bounds = { initialMs: 100, minMs: 50, maxMs: 1000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 60].map((n) => pollDelay(n, undefined, bounds)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
    1000,
  ]);
  assert.equal(pollDelay(0, 300, bounds), 300);
  assert.equal(pollDelay(5, 300, bounds), 300, "Retry-After replaces the back-off");
  assert.equal(pollDelay(0, 60_000, bounds), 1000, "an hour's Retry-After is capped");
  assert.equal(pollDelay(0, 0, bounds), 50, "Retry-After: 0 is not a busy loop");
});

Deno.test("sleep: resolves after the delay, rejects with the abort reason, leaves no timer", async () => {
  const started = performance.now();
  await sleep(30);
  assert.ok(performance.now() - started >= 25);
  const controller = new AbortController();
  const pending = sleep(10_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  await assert.rejects(sleep(10, AbortSignal.abort(new Error("already"))), /already/);
});
