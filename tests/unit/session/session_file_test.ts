import assert from "node:assert/strict";
import { join } from "node:path";
import {
  MAX_SESSION_BYTES,
  readSessionFile,
  writeSessionFile,
} from "../../../lib/session/session_file.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-sessfile-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeSessionFile() writes a new 0600 file with a fresh name each time", async () => {
  await withDir(async (dir) => {
    const a = await writeSessionFile(dir, '{"n":1}');
    const b = await writeSessionFile(dir, '{"n":1}');
    assert.notEqual(a, b);
    assert.equal((await Deno.stat(a)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(a), '{"n":1}');
  });
});

/** [description, file content, expected data or error pattern] */
const CASES: [string, string, Record<string, unknown> | RegExp][] = [
  ["an object", '{"user":"demo","n":2,"list":[1,2]}', { user: "demo", n: 2, list: [1, 2] }],
  ["an empty object", "{}", {}],
  ["PHP's empty array as an empty object", "[]", {}],
  ["non-ASCII text", '{"name":"caf\u00e9 \u{1F600}"}', { name: "caf\u00e9 \u{1F600}" }],
  ["a non-empty array", "[1]", /not a JSON object/],
  ["a string", '"x"', /not a JSON object/],
  ["null", "null", /not a JSON object/],
  ["a number", "42", /not a JSON object/],
  ["broken JSON", '{"a":', /not JSON/],
  ["an empty file", "", /not JSON/],
];

for (const [description, content, expected] of CASES) {
  Deno.test(`readSessionFile() reads ${description}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, "s.json");
      await Deno.writeTextFile(path, content);
      const result = await readSessionFile(path);
      if (expected instanceof RegExp) {
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.error, expected);
      } else {
        assert.deepEqual(result, { ok: true, data: expected, text: content });
      }
    });
  });
}

Deno.test("readSessionFile() refuses data over the size cap", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "s.json");
    await Deno.writeTextFile(path, JSON.stringify({ big: "x".repeat(MAX_SESSION_BYTES) }));
    const result = await readSessionFile(path);
    assert.deepEqual(result, {
      ok: false,
      error: `Session data is larger than ${MAX_SESSION_BYTES} bytes`,
    });
    assert.equal((await readSessionFile(path, 10 * MAX_SESSION_BYTES)).ok, true);
  });
});

Deno.test("readSessionFile() refuses invalid UTF-8, a directory and a missing file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "s.json");
    await Deno.writeFile(path, new Uint8Array([0x7b, 0xff, 0x7d]));
    assert.deepEqual(await readSessionFile(path), {
      ok: false,
      error: "Session data is not UTF-8",
    });
    assert.deepEqual(await readSessionFile(dir), {
      ok: false,
      error: "Session file is not a regular file",
    });
    assert.deepEqual(await readSessionFile(join(dir, "gone.json")), {
      ok: false,
      error: "Session file is missing",
    });
  });
});
