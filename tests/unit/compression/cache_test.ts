/**
 * The cache of compressed bodies (lib/compression/cache.ts): the same bytes are compressed once
 * per coding and level (the same promise, so the same bytes, even for requests that come before
 * the first compression is done), codings and levels are kept apart, another array with the same
 * content is another body, and a compression that fails is not kept.
 */
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { CompressedCache } from "../../../lib/compression/cache.ts";
import type { Coding } from "../../../lib/compression/compress.ts";

const TEXT = new TextEncoder().encode(
  "<p>Cached once, served many times: the same bytes compress to the same bytes.</p>\n".repeat(50),
);

function decompress(encoding: Coding, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(encoding === "gzip" ? gunzipSync(bytes) : brotliDecompressSync(bytes));
}

Deno.test("the same bytes, coding and level are compressed once", async () => {
  const cache = new CompressedCache();
  for (const [encoding, level] of [["gzip", 1], ["gzip", 9], ["br", 0], ["br", 6]] as const) {
    // Asked twice before the first is done: one compression, one promise.
    const first = cache.get(TEXT, encoding, level);
    const second = cache.get(TEXT, encoding, level);
    assert.equal(first, second, `${encoding} ${level}: the same promise while pending`);
    const bytes = await first;
    assert.equal(await second, bytes);
    // Asked again once done: still the same promise and the same bytes.
    assert.equal(cache.get(TEXT, encoding, level), first, `${encoding} ${level}: once done`);
    assert.equal(await cache.get(TEXT, encoding, level), bytes);
    assert.deepEqual(decompress(encoding, bytes), TEXT, `${encoding} ${level}: round trip`);
    assert.ok(bytes.length < TEXT.length, `${encoding} ${level}: smaller`);
  }
});

Deno.test("codings and levels are kept apart", async () => {
  const cache = new CompressedCache();
  const keys = [["gzip", 1], ["gzip", 9], ["br", 1], ["br", 11]] as const;
  const promises = keys.map(([encoding, level]) => cache.get(TEXT, encoding, level));
  assert.equal(new Set(promises).size, keys.length, "one promise per coding and level");
  const results = await Promise.all(promises);
  for (const [i, [encoding, level]] of keys.entries()) {
    assert.deepEqual(decompress(encoding, results[i]!), TEXT, `${encoding} ${level}`);
  }
  // gzip's magic number starts the gzip entries only; a brotli stream does not gunzip.
  const magic = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;
  assert.deepEqual(results.map(magic), [true, true, false, false]);
  assert.throws(() => gunzipSync(results[2]!));
  // A level is not a coding: gzip 1 and brotli 1 are different bytes.
  assert.notDeepEqual(results[0], results[2]);
  // Two levels of brotli differ too (a better ratio at 11).
  assert.ok(results[3]!.length < results[2]!.length, "brotli 11 is smaller than brotli 1");
});

Deno.test("a body is its array: the same content in another array is another entry", async () => {
  const cache = new CompressedCache();
  const copy = TEXT.slice();
  const a = cache.get(TEXT, "gzip", 6);
  const b = cache.get(copy, "gzip", 6);
  assert.notEqual(a, b);
  assert.deepEqual(decompress("gzip", await b), TEXT);
  assert.deepEqual(await a, await b, "the same bytes from the same input and level");
  // Each array keeps its own entry.
  assert.equal(cache.get(copy, "gzip", 6), b);
  assert.equal(cache.get(TEXT, "gzip", 6), a);
});

Deno.test("a compression that fails is not kept: the next request tries again", async () => {
  const cache = new CompressedCache();
  // Level 10 is out of gzip's range: compressBytes rejects.
  const failed = cache.get(TEXT, "gzip", 10);
  await assert.rejects(failed, RangeError);
  const again = cache.get(TEXT, "gzip", 10);
  assert.notEqual(again, failed, "the failure was not kept");
  await assert.rejects(again, RangeError);
  // Levels that work are not touched by the failure, before or after it.
  const good = cache.get(TEXT, "gzip", 9);
  const bad = cache.get(TEXT, "gzip", 0);
  await assert.rejects(bad, RangeError);
  assert.deepEqual(decompress("gzip", await good), TEXT);
  assert.equal(cache.get(TEXT, "gzip", 9), good);
  // brotli's range is 0 to 11.
  await assert.rejects(cache.get(TEXT, "br", 12), RangeError);
  assert.deepEqual(decompress("br", await cache.get(TEXT, "br", 0)), TEXT);
});

Deno.test("an empty body compresses to a stream that decodes to nothing", async () => {
  const cache = new CompressedCache();
  const empty = new Uint8Array(0);
  for (const encoding of ["gzip", "br"] as const) {
    const bytes = await cache.get(empty, encoding, 1);
    assert.ok(bytes.length > 0);
    assert.equal(decompress(encoding, bytes).length, 0);
  }
});
