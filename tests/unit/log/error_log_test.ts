import assert from "node:assert/strict";
import { ErrorLog } from "../../../lib/log/error_log.ts";

function capture(level: "debug" | "info" | "warn" | "error") {
  const lines: string[] = [];
  return { lines, log: new ErrorLog((line) => lines.push(line), level) };
}

Deno.test("ErrorLog writes nginx's line format and drops lines below its level", async () => {
  const { lines, log } = capture("warn");
  log.log("info", "a client's mistake");
  log.log("warn", "something odd");
  log.log("error", "something wrong");
  await log.close();
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[warn\] \d+#0: something odd\n$/);
  assert.match(lines[1]!, /\[error\] \d+#0: something wrong\n$/);
  assert.equal(log.enabled("info"), false);
  assert.equal(log.enabled("crit"), true);
});

Deno.test("ErrorLog.report() writes a problem once, then counts it until the window ends", async () => {
  const { lines, log } = capture("error");
  for (let i = 0; i < 5; i++) log.report("error", "Cannot write the upload store", `request ${i}`);
  log.report("error", "Another problem");
  log.report("info", "Below the level", "dropped");
  assert.deepEqual(lines.map((l) => l.replace(/^.*?#0: /, "")), [
    "Cannot write the upload store: request 0\n",
    "Another problem\n",
  ]);
  await log.close();
  assert.equal(
    lines[2]!.replace(/^.*?#0: /, ""),
    "Cannot write the upload store: 4 more times in the last 60 s, last: request 4\n",
  );
  assert.equal(lines.length, 3);
});
