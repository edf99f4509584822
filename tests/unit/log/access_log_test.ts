import assert from "node:assert/strict";
import { formatCombined, timeLocal } from "../../../lib/log/access_log.ts";

Deno.test("timeLocal() writes nginx's $time_local in UTC", () => {
  assert.equal(
    timeLocal(new Date(Date.UTC(2000, 9, 10, 13, 55, 36))),
    "10/Oct/2000:13:55:36 +0000",
  );
  assert.equal(timeLocal(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), "02/Jan/2026:03:04:05 +0000");
});

Deno.test("formatCombined() writes one combined line, escaping quotes and control bytes", () => {
  const date = new Date(Date.UTC(2026, 11, 1, 2, 3, 4));
  const line = formatCombined({
    remote: "127.0.0.1",
    requestLine: 'GET /a"b HTTP/1.1',
    status: 200,
    bytes: 6,
    referer: "",
    userAgent: "ua\n\x1b[31mred",
  }, date);
  assert.equal(
    line,
    '127.0.0.1 - - [01/Dec/2026:02:03:04 +0000] "GET /a\\x22b HTTP/1.1" 200 6 "-" ' +
      '"ua\\x0A\\x1B[31mred"\n',
  );
});
