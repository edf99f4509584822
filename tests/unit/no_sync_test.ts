/** Nothing on a request path may block the event loop: no `*Sync` Deno calls in lib/ or main.ts. */
import assert from "node:assert/strict";
import { join } from "node:path";

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("lib/ and main.ts make no synchronous Deno calls", async () => {
  const root = join(import.meta.dirname!, "..", "..");
  const offenders: string[] = [];
  const files = [join(root, "main.ts")];
  for await (const file of sources(join(root, "lib"))) files.push(file);
  assert.ok(files.length > 10, "the source tree was found");
  for (const file of files) {
    const lines = (await Deno.readTextFile(file)).split("\n");
    lines.forEach((line, i) => {
      if (/\b(Deno\.\w+Sync|\w+Sync)\s*\(/.test(line)) {
        offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});
