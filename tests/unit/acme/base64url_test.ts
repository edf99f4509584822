import assert from "node:assert/strict";
import { decodeBase64Url, encodeBase64Url } from "../../../lib/acme/base64url.ts";

// RFC 4648 §10, without the padding base64url drops.
const VECTORS: [string, string][] = [
  ["", ""],
  ["f", "Zg"],
  ["fo", "Zm8"],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg"],
  ["fooba", "Zm9vYmE"],
  ["foobar", "Zm9vYmFy"],
];

Deno.test("base64url encodes RFC 4648's test vectors without padding, and decodes them", () => {
  for (const [text, encoded] of VECTORS) {
    assert.equal(encodeBase64Url(text), encoded);
    assert.equal(new TextDecoder().decode(decodeBase64Url(encoded)), text);
  }
});

Deno.test("base64url uses - and _ where base64 has + and / (RFC 7515 Appendix C)", () => {
  assert.equal(encodeBase64Url(Uint8Array.of(3, 236, 255, 224, 193)), "A-z_4ME");
  assert.equal(encodeBase64Url(Uint8Array.of(0xfb, 0xff)), "-_8");
  assert.deepEqual([...decodeBase64Url("-_8")], [0xfb, 0xff]);
});

Deno.test("base64url takes an ArrayBuffer, and strings as UTF-8", () => {
  assert.equal(encodeBase64Url(Uint8Array.of(1, 2, 3).buffer), "AQID");
  assert.equal(encodeBase64Url("é"), "w6k");
});

Deno.test("base64url round-trips every length and byte value", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (let n = 0; n <= bytes.length; n += 7) {
    assert.deepEqual(decodeBase64Url(encodeBase64Url(bytes.subarray(0, n))), bytes.slice(0, n));
  }
});

Deno.test("base64url decoding is strict: no padding, no base64 characters, one spelling", () => {
  for (const bad of ["Zg==", "Zm8=", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n", "Z", "Zh", "Zm9"]) {
    assert.throws(() => decodeBase64Url(bad), SyntaxError, bad);
  }
});
