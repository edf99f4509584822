import assert from "node:assert/strict";
import { latin1 } from "../../../lib/http/latin1.ts";

Deno.test("latin1() decodes every byte to the char of its value, in a view at an offset", () => {
  const outer = new Uint8Array(300);
  for (let i = 0; i < 256; i++) outer[i + 30] = i;
  const view = outer.subarray(20);
  const text = latin1(view, 10, 266);
  assert.equal(text.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(text.charCodeAt(i), i);
  assert.equal(latin1(view, 12, 12), "");
  assert.equal(latin1(Uint8Array.of(0x68, 0xe9)), "h\u00e9");
});
