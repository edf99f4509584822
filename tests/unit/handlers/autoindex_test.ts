import assert from "node:assert/strict";
import { renderAutoindex } from "../../../lib/handlers/autoindex.ts";

const decoder = new TextDecoder();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "autoindex_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The listing's HTML, whole or streamed. */
async function listing(urlPath: string, dir: string): Promise<string> {
  const body = await renderAutoindex(urlPath, dir);
  if (body instanceof Uint8Array) return decoder.decode(body);
  let html = "";
  for await (const chunk of body.chunks) html += decoder.decode(chunk);
  return html;
}

/** The hrefs of the listing's links, in order. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1] as string);
}

Deno.test("renderAutoindex() titles the page and links to the parent", async () => {
  await withDir(async (dir) => {
    const html = await listing("/docs/", dir);
    assert.match(html, /<title>Index of \/docs\/<\/title>/);
    assert.match(html, /<h1>Index of \/docs\/<\/h1>/);
    assert.deepEqual(hrefs(html), ["../"]);
  });
});

Deno.test("renderAutoindex() has no parent link at the root", async () => {
  await withDir(async (dir) => {
    const html = await listing("/", dir);
    assert.deepEqual(hrefs(html), []);
  });
});

Deno.test("renderAutoindex() lists directories first, then files, by name, without dotfiles", async () => {
  await withDir(async (dir) => {
    for (const name of ["zeta.txt", "Alpha.txt", "beta.txt", ".hidden"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "x");
    }
    for (const name of ["sub", "Another"]) await Deno.mkdir(`${dir}/${name}`);
    const html = await listing("/d/", dir);
    assert.deepEqual(hrefs(html), [
      "../",
      "Another/",
      "sub/",
      "Alpha.txt",
      "beta.txt",
      "zeta.txt",
    ]);
    assert.match(html, />sub\/<\/a>/);
  });
});

Deno.test("renderAutoindex() escapes names in text and encodes them in links", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/<script>&"'.txt`, "x");
    await Deno.writeTextFile(`${dir}/a:b c%.txt`, "x");
    await Deno.mkdir(`${dir}/é dir`);
    const html = await listing("/<i>/", dir);
    assert.ok(!html.includes("<script>"), "a raw <script> in the page");
    assert.ok(!html.includes("<i>"), "a raw <i> in the page");
    assert.match(html, /<title>Index of \/&lt;i&gt;\/<\/title>/);
    assert.match(html, />&lt;script&gt;&amp;&quot;&#39;\.txt<\/a>/);
    assert.deepEqual(hrefs(html), [
      "../",
      "%C3%A9%20dir/",
      "%3Cscript%3E%26%22%27.txt",
      "a%3Ab%20c%25.txt",
    ]);
  });
});

Deno.test("renderAutoindex() shows sizes and dates", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/small.bin`, new Uint8Array(100));
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(3 * 1024 + 512));
    const when = new Date(Date.UTC(2024, 10, 8, 10, 4, 0));
    await Deno.utime(`${dir}/small.bin`, when, when);
    const html = await listing("/", dir);
    assert.match(html, /<span title="100 bytes">100 B<\/span>/);
    assert.match(html, /<span title="3584 bytes">3\.5 KiB<\/span>/);
    assert.match(html, /2024-11-08 10:04/);
  });
});

Deno.test("renderAutoindex() lists a broken symlink", async () => {
  await withDir(async (dir) => {
    await Deno.symlink(`${dir}/missing`, `${dir}/dangling`);
    const html = await listing("/", dir);
    assert.deepEqual(hrefs(html), ["dangling"]);
  });
});

Deno.test("renderAutoindex() throws NotFound for a missing directory", async () => {
  await withDir(async (dir) => {
    await assert.rejects(renderAutoindex("/", `${dir}/nope`), Deno.errors.NotFound);
  });
});

Deno.test("renderAutoindex() streams a large directory, in the same order, every entry", async () => {
  await withDir(async (dir) => {
    for (let i = 0; i < 1000; i++) await Deno.writeTextFile(`${dir}/f${i}.txt`, "x".repeat(i));
    await Deno.mkdir(`${dir}/zdir`);
    await Deno.symlink(`${dir}/zdir`, `${dir}/alink`);
    const body = await renderAutoindex("/d/", dir);
    assert.ok(!(body instanceof Uint8Array), "not streamed");
    let chunks = 0;
    let html = "";
    for await (const chunk of body.chunks) {
      chunks++;
      html += decoder.decode(chunk);
    }
    assert.ok(chunks > 2, `${chunks} chunks`);
    const names = hrefs(html);
    const files = Array.from({ length: 1000 }, (_, i) => `f${i}.txt`).sort();
    // The link to a directory is a directory, listed first.
    assert.deepEqual(names, ["../", "alink/", "zdir/", ...files]);
    assert.match(html, /f999\.txt<\/a><\/td><td>[^<]+<\/td><td class="r"><span title="999 bytes">/);
    assert.match(html, /<\/html>\n$/);
  });
});
