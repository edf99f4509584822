import assert from "node:assert/strict";
import { formatIdleRow, kibPerConnection, parseIdleArgs } from "./_idle.ts";

Deno.test("parseIdleArgs() reads --idle and --max-kib, and stays out of other modes", () => {
  assert.deepEqual(parseIdleArgs(["--idle", "10000"]), { count: 10000, maxKib: 4 });
  assert.deepEqual(parseIdleArgs(["--idle=500", "--max-kib=8"]), { count: 500, maxKib: 8 });
  assert.equal(parseIdleArgs(["--soak", "2"]), null);
  assert.equal(parseIdleArgs([]), null);
  assert.throws(() => parseIdleArgs(["--idle", "0"]), /Invalid idle "0"/);
  assert.throws(() => parseIdleArgs(["--idle", "5", "--soak", "1"]), /Unknown argument "--soak"/);
});

Deno.test("kibPerConnection() is the growth while open, per connection", () => {
  const row = { name: "x", beforeMiB: 40, openMiB: 50, afterMiB: 41, failed: 0 };
  assert.equal(kibPerConnection(row, 1024), 10);
  assert.equal(formatIdleRow(row, 1024), "| x | 40.0 | 50.0 | 41.0 | 10.00 | 0 |");
});
