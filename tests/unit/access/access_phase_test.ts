import assert from "node:assert/strict";
import { basicCredentials } from "../../../lib/access/access_phase.ts";

Deno.test("basicCredentials() reads Authorization: Basic, the first colon splitting", () => {
  const table: [string | undefined, { user: string; password: string } | null][] = [
    [undefined, null],
    ["", null],
    [`Basic ${btoa("alice:pw")}`, { user: "alice", password: "pw" }],
    [`basic ${btoa("alice:pw")}`, { user: "alice", password: "pw" }],
    [`Basic  ${btoa("a:b:c")} `, { user: "a", password: "b:c" }],
    [`Basic ${btoa(":")}`, { user: "", password: "" }],
    [`Basic ${btoa("no colon")}`, null],
    ["Basic !!!", null],
    ["Bearer abc", null],
    [`Basic ${btoa(String.fromCharCode(0xc3, 0xa9) + ":x")}`, { user: "é", password: "x" }],
  ];
  for (const [header, expected] of table) {
    assert.deepEqual(basicCredentials(header), expected, String(header));
  }
});
