import assert from "node:assert/strict";
import { join } from "node:path";
import { MAX_NAME_BYTES, sanitizeFilename, uniqueName } from "../../../lib/upload/filename.ts";

const encoder = new TextEncoder();

Deno.test("sanitizeFilename() makes hostile names safe", () => {
  const table: [input: string, expected: string | null][] = [
    ["a.txt", "a.txt"],
    ["naïve café.txt", "naïve café.txt"],
    ["😀 party.png", "😀 party.png"],
    ["../../etc/passwd", "passwd"],
    ["/etc/passwd", "passwd"],
    ["a/b", "b"],
    ["C:\\x\\y.txt", "y.txt"],
    ["..\\..\\boot.ini", "boot.ini"],
    ["dir/", null],
    ["\0x", "x"],
    ["a\0b.txt", "ab.txt"],
    ["line\r\nbreak\t.txt", "linebreak.txt"],
    ["del\x7f\x85.txt", "del.txt"],
    ["evil\u202Etxt.exe", "eviltxt.exe"],
    [".", null],
    ["..", null],
    ["...", null],
    ["", null],
    ["   ", null],
    ["\0", null],
    [".hidden", "hidden"],
    ["..hidden.txt", "hidden.txt"],
    [" . .x", "x"],
    ["  spaced.txt  ", "spaced.txt"],
    ["a/..", null],
    ["C:", "C:"],
  ];
  for (const [input, expected] of table) {
    assert.equal(sanitizeFilename(input), expected, JSON.stringify(input));
  }
});

Deno.test("sanitizeFilename() cuts long names to 200 bytes, keeping the extension", () => {
  const table: [input: string, expected: string][] = [
    ["a".repeat(300) + ".txt", "a".repeat(196) + ".txt"],
    ["a".repeat(300), "a".repeat(200)],
    ["a".repeat(200), "a".repeat(200)],
    // Multi-byte characters are never split: 2-byte "é" × 150 = 300 bytes.
    ["é".repeat(150) + ".txt", "é".repeat(98) + ".txt"],
    // A 4-byte emoji does not fit in the last 3 bytes.
    ["ab" + "😀".repeat(60) + ".png", "ab" + "😀".repeat(48) + ".png"],
    // An overlong "extension" is just part of the name.
    ["x." + "y".repeat(300), "x." + "y".repeat(198)],
  ];
  for (const [input, expected] of table) {
    const result = sanitizeFilename(input)!;
    assert.equal(result, expected, `${input.slice(0, 20)}…`);
    assert.ok(encoder.encode(result).length <= MAX_NAME_BYTES);
  }
});

Deno.test("uniqueName() claims a.txt, then a-1.txt, a-2.txt", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names = [];
    for (let i = 0; i < 4; i++) names.push(await uniqueName(dir, "a.txt"));
    assert.deepEqual(names, ["a.txt", "a-1.txt", "a-2.txt", "a-3.txt"]);
    assert.equal(await uniqueName(dir, "noext"), "noext");
    assert.equal(await uniqueName(dir, "noext"), "noext-1");
    assert.equal(await uniqueName(dir, "arch.tar.gz"), "arch.tar.gz");
    assert.equal(await uniqueName(dir, "arch.tar.gz"), "arch.tar-1.gz");
    for (const name of names) assert.equal((await Deno.stat(join(dir, name))).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uniqueName() never takes an existing name, whatever its kind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.txt"), "keep");
    await Deno.mkdir(join(dir, "a-1.txt"));
    await Deno.symlink("/nonexistent", join(dir, "a-2.txt"));
    assert.equal(await uniqueName(dir, "a.txt"), "a-3.txt");
    assert.equal(await Deno.readTextFile(join(dir, "a.txt")), "keep");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uniqueName() switches to random suffixes after 100 numbered names", async () => {
  const taken = new Set<string>();
  const claim = (path: string) => {
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (/^a(-\d+)?\.txt$/.test(name) || taken.has(name)) {
      return Promise.reject(new Deno.errors.AlreadyExists(name));
    }
    taken.add(name);
    return Promise.resolve();
  };
  const name = await uniqueName("/store", "a.txt", claim);
  assert.match(name, /^a-[0-9a-f]{8}\.txt$/);
});

Deno.test("uniqueName() passes on errors other than AlreadyExists", async () => {
  await assert.rejects(
    uniqueName("/store", "a.txt", () => Promise.reject(new Deno.errors.PermissionDenied("no"))),
    Deno.errors.PermissionDenied,
  );
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(uniqueName(join(dir, "missing"), "a.txt"), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
