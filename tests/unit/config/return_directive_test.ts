import assert from "node:assert/strict";
import { parseReturn } from "../../../lib/config/return_directive.ts";
import type { ReturnDirective } from "../../../lib/config/types.ts";
import { template } from "../_fixtures.ts";

const CASES: Array<[args: string[], expected: ReturnDirective | { error: string }]> = [
  [["404"], { code: 404 }],
  [["0"], { code: 0 }],
  [["999"], { code: 999 }],
  [["301", "/new/"], { code: 301, text: template("/new/") }],
  [["200", "ok"], { code: 200, text: template("ok") }],
  [["https://example.com/"], { code: 302, text: template("https://example.com/") }],
  [["http://example.com/"], { code: 302, text: template("http://example.com/") }],
  [["1000"], { error: 'invalid return code "1000"' }],
  [["abc"], { error: 'invalid return code "abc"' }],
  [["/relative"], { error: 'invalid return code "/relative"' }],
  [["https://x/", "text"], { error: 'invalid return code "https://x/"' }],
  [["302", "https://$hostt/"], { error: 'unknown "hostt" variable' }],
  [["200", "${nope}"], { error: 'unknown "nope" variable' }],
  [["200", "costs $5"], { code: 200, text: template("costs $5") }],
];

for (const [args, expected] of CASES) {
  Deno.test(`parseReturn() reads ${JSON.stringify(args)}`, () => {
    assert.deepEqual(parseReturn(args), expected);
  });
}
