import assert from "node:assert/strict";
import { COMBINED, formatLine, type LogFormat } from "../../../lib/log/log_format.ts";
import { compileTemplate, type Template } from "../../../lib/variables/template.ts";
import { timeLocal, type VariableScope } from "../../../lib/variables/variables.ts";
import { testContext, testHead } from "../_fixtures.ts";

Deno.test("timeLocal() writes nginx's $time_local in UTC", () => {
  assert.equal(
    timeLocal(new Date(Date.UTC(2000, 9, 10, 13, 55, 36))),
    "10/Oct/2000:13:55:36 +0000",
  );
  assert.equal(timeLocal(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), "02/Jan/2026:03:04:05 +0000");
});

function scope(headers: [string, string][], target = '/a"b'): VariableScope {
  return {
    ...testContext({ head: testHead({ target, headers }) }),
    sent: {
      status: 200,
      bytes: 106,
      bodyBytes: 6,
      startMs: Date.now(),
      requestLength: 40,
      connection: 7,
      connectionRequests: 2,
      pipelined: false,
    },
  };
}

Deno.test("the combined format escapes quotes and control bytes, and writes - for empty values", () => {
  const line = formatLine(COMBINED, scope([["user-agent", "ua\n\x1b[31mred"]]));
  assert.match(
    line,
    /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/a\\x22b HTTP\/1\.1" 200 6 "-" "ua\\x0A\\x1B\[31mred"\n$/,
  );
});

Deno.test("a log_format of its own, with json escaping and the log-phase variables", () => {
  const format: LogFormat = {
    name: "json",
    escape: "json",
    template: compileTemplate(
      '{"status":$status,"bytes":$bytes_sent,"body":$body_bytes_sent,"conn":$connection,' +
        '"n":$connection_requests,"len":$request_length,"ua":"$http_user_agent","pipe":"$pipe"}',
    ) as Template,
  };
  const line = formatLine(format, scope([["user-agent", 'a "quoted"\tagent']]));
  assert.deepEqual(JSON.parse(line), {
    status: 200,
    bytes: 106,
    body: 6,
    conn: 7,
    n: 2,
    len: 40,
    ua: 'a "quoted"\tagent',
    pipe: ".",
  });
});

Deno.test("$remote_user is the user of a Basic Authorization header", () => {
  const format: LogFormat = {
    name: "u",
    escape: "default",
    template: compileTemplate("$remote_user") as Template,
  };
  assert.equal(
    formatLine(format, scope([["authorization", `Basic ${btoa("alice:pw")}`]])),
    "alice\n",
  );
  assert.equal(formatLine(format, scope([])), "-\n");
});
