import assert from "node:assert/strict";
import { headBytes } from "../../../lib/http/head_bytes.ts";

Deno.test("headBytes() writes ASCII as is, latin1 chars as one byte, others as UTF-8", () => {
  const table: [string, number[]][] = [
    ["", []],
    ["X: a\r\n", [0x58, 0x3a, 0x20, 0x61, 0x0d, 0x0a]],
    // A byte read from the wire goes out as that byte.
    ["caf\xe9", [0x63, 0x61, 0x66, 0xe9]],
    ["\x80\xff", [0x80, 0xff]],
    // From the configuration: UTF-8, a surrogate pair as one code point.
    ["\u20ac", [0xe2, 0x82, 0xac]],
    ["a\u{1f600}", [0x61, 0xf0, 0x9f, 0x98, 0x80]],
    ["\xe9\u20ac", [0xe9, 0xe2, 0x82, 0xac]],
  ];
  for (const [text, bytes] of table) {
    assert.deepEqual([...headBytes(text)], bytes, JSON.stringify(text));
  }
});
