import assert from "node:assert/strict";
import zlib from "node:zlib";
import { checkEncoding, CSS_SIZE, stylesheet, wrkArgs } from "./_gzip_bench.ts";

Deno.test("stylesheet() is CSS of the exact size, the same for a seed, and compresses like CSS", () => {
  const css = stylesheet(CSS_SIZE);
  assert.equal(css.length, CSS_SIZE);
  assert.equal(new TextEncoder().encode(css).length, CSS_SIZE);
  assert.equal(stylesheet(CSS_SIZE), css);
  assert.notEqual(stylesheet(CSS_SIZE, 2), css);
  assert.match(css, /^\/\*! site\.css/);
  assert.match(css, /^:root \{$/m);
  assert.match(css, /^@media \(min-width: \d+px\) \{$/m);
  assert.match(css, /\*\/\n$/);
  // Balanced braces: every rule is whole.
  assert.equal(css.split("{").length, css.split("}").length);
  // No property twice in one rule.
  for (const rule of css.matchAll(/\{([^{}]*)\}/g)) {
    const names = [...rule[1]!.matchAll(/^\s*([a-z-]+):/gm)].map((m) => m[1]);
    assert.equal(new Set(names).size, names.length, rule[0]);
  }
  // Not filler: real stylesheets gzip (level 6) to roughly 15-35 %.
  const ratio = zlib.gzipSync(css, { level: 6 }).length / css.length;
  assert.ok(ratio > 0.15 && ratio < 0.35, `gzip ratio ${ratio}`);
  // Small sizes still come out exact.
  for (const size of [64, 500, 4096]) assert.equal(stylesheet(size).length, size);
});

Deno.test("wrkArgs() puts the request fields before the URL", () => {
  assert.deepEqual(wrkArgs("http://127.0.0.1:1/a.css", 50, 3, { "Accept-Encoding": "gzip, br" }), [
    "-t1",
    "-c50",
    "-d3s",
    "--latency",
    "--timeout",
    "10s",
    "-H",
    "Accept-Encoding: gzip, br",
    "http://127.0.0.1:1/a.css",
  ]);
});

Deno.test("checkEncoding() names the coding and checks that the body decodes to the file", () => {
  const file = new TextEncoder().encode(stylesheet(2048));
  const res = (encoding: string | null, body: Uint8Array, status = 200) => ({
    status,
    headers: new Map(encoding === null ? [] : [["content-encoding", encoding]]),
    body,
  });
  const gzip = zlib.gzipSync(file);
  assert.deepEqual(checkEncoding(res("gzip", gzip), file), {
    encoding: "gzip",
    error: null,
    bytes: gzip.length,
  });
  assert.equal(checkEncoding(res("br", zlib.brotliCompressSync(file)), file).error, null);
  assert.deepEqual(checkEncoding(res(null, file), file), {
    encoding: "identity",
    error: null,
    bytes: file.length,
  });
  assert.match(checkEncoding(res("gzip", file), file).error ?? "", /does not decode/);
  assert.match(
    checkEncoding(res("gzip", zlib.gzipSync(file.subarray(1))), file).error ?? "",
    /decodes to other bytes/,
  );
  assert.match(checkEncoding(res("zstd", file), file).error ?? "", /unexpected Content-Encoding/);
  assert.equal(checkEncoding(res(null, file, 404), file).error, "status 404");
});
