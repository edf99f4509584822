import assert from "node:assert/strict";
import { FileCache } from "../../../lib/files/file_cache.ts";

const HELLO = "Hello, world!\n";
const DIGITS = "0123456789";

/** A site with a few small files, a directory and a FIFO-free special case, in a temp dir. */
async function withSite(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "file_cache_test_" });
  try {
    await Deno.writeTextFile(`${root}/hello.txt`, HELLO);
    await Deno.writeTextFile(`${root}/digits.txt`, DIGITS);
    await Deno.writeTextFile(`${root}/.env`, "SECRET=x\n");
    await Deno.writeFile(`${root}/big.bin`, new Uint8Array(200 * 1024));
    await Deno.mkdir(`${root}/docs`);
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("FileCache evicts the oldest entries beyond its limits", async () => {
  await withSite(async (root) => {
    const cache = new FileCache({ maxEntries: 2 });
    await cache.get(`${root}/hello.txt`);
    await cache.get(`${root}/digits.txt`);
    await cache.get(`${root}/.env`);
    assert.equal(cache.size, 2);
    assert.equal(cache.peek(`${root}/hello.txt`), undefined);
    assert.ok(cache.peek(`${root}/.env`) !== undefined);

    const small = new FileCache({ maxBytes: 20 });
    await small.get(`${root}/hello.txt`);
    await small.get(`${root}/digits.txt`);
    assert.equal(small.bytes, DIGITS.length);
    assert.equal(small.size, 1);
  });
});

Deno.test("FileCache shares one load between concurrent requests", async () => {
  await withSite(async (root) => {
    const cache = new FileCache();
    const [a, b] = await Promise.all([
      cache.get(`${root}/hello.txt`),
      cache.get(`${root}/hello.txt`),
    ]);
    assert.equal(a, b);
  });
});

Deno.test("FileCache keeps only metadata for files above maxFileSize", async () => {
  await withSite(async (root) => {
    const cache = new FileCache({ maxFileSize: 4 });
    const entry = await cache.get(`${root}/hello.txt`);
    assert.ok(entry.kind === "file");
    assert.equal(entry.bytes, null);
    assert.equal(entry.size, HELLO.length);
    assert.equal(cache.bytes, 0);
  });
});

Deno.test("FileCache marks directories and special files", async () => {
  await withSite(async (root) => {
    const cache = new FileCache();
    assert.equal((await cache.get(`${root}/docs`)).kind, "directory");
    assert.deepEqual(await cache.get("/dev/null"), { kind: "error", status: 404 });
  });
});
