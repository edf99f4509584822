import assert from "node:assert/strict";
import { isSessionId, newSessionId } from "../../../lib/session/id.ts";

Deno.test("newSessionId() gives 43 base64url characters (256 bits), all distinct", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = newSessionId();
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(isSessionId(id));
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
});

Deno.test("newSessionId() uses the whole alphabet (the bytes are random)", () => {
  const chars = new Set(Array.from({ length: 200 }, newSessionId).join(""));
  assert.ok(chars.size > 60, `only ${chars.size} distinct characters`);
});

/** [value, valid] */
const CASES: [string, boolean][] = [
  ["a".repeat(43), true],
  ["Az09-_".repeat(7) + "x", true],
  ["", false],
  ["a".repeat(42), false],
  ["a".repeat(44), false],
  ["a".repeat(42) + "=", false],
  ["a".repeat(42) + "+", false],
  ["a".repeat(42) + "/", false],
  ["a".repeat(42) + ".", false],
  ["../" + "a".repeat(40), false],
  ["a".repeat(42) + "\n", false],
  ["a".repeat(43) + "\n", false],
  ["a".repeat(42) + "\u00e9", false],
];

for (const [value, valid] of CASES) {
  Deno.test(`isSessionId() says ${valid} for ${JSON.stringify(value)}`, () => {
    assert.equal(isSessionId(value), valid);
  });
}
