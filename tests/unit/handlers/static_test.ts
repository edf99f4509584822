import assert from "node:assert/strict";
import type { LocationConfig } from "../../../lib/config/types.ts";
import { applyFilters } from "../../../lib/phases/engine.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import { FileCache, type FileCacheOptions } from "../../../lib/files/file_cache.ts";
import { staticHandler } from "../../../lib/handlers/static.ts";
import type { Response } from "../../../lib/http/response.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { testContext, testHead, testLocation } from "../_fixtures.ts";

const decoder = new TextDecoder();

const HELLO = "Hello, world!\n";
const DIGITS = "0123456789";
const BIG_SIZE = 200 * 1024;

/** Bytes 0..255 repeated: any slice shows where it came from. */
function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

/** Writes the test site into a new temp dir: files, an index, an empty dir, a big file. */
async function makeSite(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "static_test_" });
  await Deno.writeTextFile(`${root}/hello.txt`, HELLO);
  await Deno.writeTextFile(`${root}/digits.txt`, DIGITS);
  await Deno.writeTextFile(`${root}/.env`, "SECRET=dotfiles are served like nginx\n");
  await Deno.writeTextFile(`${root}/a b.html`, "<p>space</p>");
  await Deno.writeFile(`${root}/big.bin`, pattern(BIG_SIZE));
  await Deno.mkdir(`${root}/docs`);
  await Deno.writeTextFile(`${root}/docs/index.html`, "<h1>docs</h1>");
  await Deno.writeTextFile(`${root}/docs/guide.txt`, "guide");
  await Deno.mkdir(`${root}/empty`);
  await Deno.mkdir(`${root}/app`);
  await Deno.writeTextFile(`${root}/app/index.php`, "<?php echo 1;");
  await Deno.symlink(`${root}/hello.txt`, `${root}/link.txt`);
  return root;
}

async function withSite(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await makeSite();
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

interface RequestOptions {
  method?: string;
  headers?: [string, string][];
  location?: Partial<LocationConfig>;
}

/** A context for `method target` against a location rooted at `root`. */
function context(root: string, target: string, options: RequestOptions = {}): RequestContext {
  const head = testHead({
    method: options.method ?? "GET",
    target,
    headers: [["host", "localhost"], ...options.headers ?? []],
  });
  return testContext({ head, location: testLocation({ root, ...options.location }) });
}

function header(response: Response, name: string): string | undefined {
  const lower = name.toLowerCase();
  return response.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** The body's bytes; a FileBody is read from its offset and its file closed. */
async function bodyBytes(response: Response): Promise<Uint8Array | null> {
  const body = response.body;
  if (body === null || body instanceof Uint8Array) return body;
  if (body.kind !== "file") throw new Error("Unexpected stream body");
  try {
    await body.file.seek(body.start, Deno.SeekMode.Start);
    const out = new Uint8Array(body.length);
    let filled = 0;
    while (filled < body.length) {
      const n = await body.file.read(out.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return out.subarray(0, filled);
  } finally {
    body.file.close();
  }
}

async function bodyText(response: Response): Promise<string | null> {
  const bytes = await bodyBytes(response);
  return bytes === null ? null : decoder.decode(bytes);
}

/**
 * The static handler with a file cache of its own, its answer passed through the response filters
 * (304, 206, 416 are theirs), as the phase engine does.
 */
function serveWith(
  cacheOptions: FileCacheOptions = {},
): (ctx: RequestContext) => Promise<Response | null> {
  const files = new FileCache(cacheOptions);
  return async (ctx) => {
    const own = { ...ctx, services: { ...ctx.services, files } };
    const response = await staticHandler(own);
    return response === null ? null : applyFilters(own, response, PIPELINE);
  };
}

/** Runs one request with a fresh cache (none shared between tests). */
async function request(
  root: string,
  target: string,
  options: RequestOptions & { cache?: FileCacheOptions } = {},
): Promise<Response> {
  const handler = serveWith(options.cache);
  const response = await handler(context(root, target, options));
  assert.ok(response !== null, "the static handler declined");
  return response;
}

Deno.test("static handler serves a file with type, length, validators and ranges", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/hello.txt");
    assert.equal(response.status, 200);
    assert.equal(await bodyText(response), HELLO);
    const info = await Deno.stat(`${root}/hello.txt`);
    const seconds = Math.floor(info.mtime!.getTime() / 1000);
    assert.equal(header(response, "Content-Type"), "text/plain; charset=utf-8");
    assert.equal(header(response, "Content-Length"), String(HELLO.length));
    assert.equal(header(response, "Last-Modified"), new Date(seconds * 1000).toUTCString());
    assert.equal(
      header(response, "ETag"),
      `"${seconds.toString(16)}-${HELLO.length.toString(16)}"`,
    );
    assert.equal(header(response, "Accept-Ranges"), "bytes");
  });
});

Deno.test("static handler answers HEAD with the headers of GET", async () => {
  await withSite(async (root) => {
    for (const target of ["/hello.txt", "/big.bin"]) {
      const get = await request(root, target);
      await bodyBytes(get);
      const head = await request(root, target, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.deepEqual(head.headers, get.headers);
      await bodyBytes(head);
    }
  });
});

Deno.test("static handler answers other methods with 405 and Allow", async () => {
  await withSite(async (root) => {
    for (const method of ["POST", "PUT", "DELETE", "get"]) {
      const response = await request(root, "/hello.txt", { method });
      assert.equal(response.status, 405);
      assert.equal(header(response, "Allow"), "GET, HEAD");
      assert.equal(response.body, null);
    }
  });
});

const NOT_FOUND_CASES: [target: string, why: string][] = [
  ["/missing.txt", "a missing file"],
  ["/missing/deeper.txt", "a missing directory"],
  ["/hello.txt/x", "a file used as a directory"],
  ["/hello.txt/", "a file with a trailing slash"],
  [`/${"n".repeat(300)}`, "a name too long"],
];

for (const [target, why] of NOT_FOUND_CASES) {
  Deno.test(`static handler answers 404 for ${why}`, async () => {
    await withSite(async (root) => {
      const response = await request(root, target);
      assert.equal(response.status, 404);
      assert.equal(response.body, null);
    });
  });
}

Deno.test("static handler serves dotfiles, symlinks and decoded names", async () => {
  await withSite(async (root) => {
    assert.match((await bodyText(await request(root, "/.env"))) ?? "", /SECRET/);
    assert.equal(await bodyText(await request(root, "/link.txt")), HELLO);
    const spaced = await request(root, "/a%20b.html");
    assert.equal(await bodyText(spaced), "<p>space</p>");
    assert.equal(header(spaced, "Content-Type"), "text/html; charset=utf-8");
  });
});

Deno.test("static handler redirects a directory without its slash", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/docs");
    assert.equal(response.status, 301);
    assert.equal(header(response, "Location"), "/docs/");
    const withQuery = await request(root, "/docs?a=1&b=2");
    assert.equal(header(withQuery, "Location"), "/docs/?a=1&b=2");
    await Deno.mkdir(`${root}/a b?`);
    const encoded = await request(root, "/a%20b%3F");
    assert.equal(header(encoded, "Location"), "/a%20b%3F/");
  });
});

Deno.test("static handler serves a directory's index file", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/docs/");
    assert.equal(response.status, 200);
    assert.equal(await bodyText(response), "<h1>docs</h1>");
    assert.equal(header(response, "Content-Type"), "text/html; charset=utf-8");
  });
});

Deno.test("static handler tries index files in order", async () => {
  await withSite(async (root) => {
    const location = { index: ["missing.html", "guide.txt", "index.html"] };
    const response = await request(root, "/docs/", { location });
    assert.equal(await bodyText(response), "guide");
  });
});

Deno.test("static handler answers 403 for a directory without index or autoindex", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/empty/");
    assert.equal(response.status, 403);
    assert.equal(response.body, null);
  });
});

Deno.test("static handler lists a directory without index when autoindex is on", async () => {
  await withSite(async (root) => {
    await Deno.writeTextFile(`${root}/empty/file.txt`, "x");
    const response = await request(root, "/empty/", { location: { autoindex: true } });
    assert.equal(response.status, 200);
    assert.equal(header(response, "Content-Type"), "text/html; charset=utf-8");
    const html = (await bodyText(response)) ?? "";
    assert.match(html, /Index of \/empty\//);
    assert.match(html, /href="file\.txt"/);
  });
});

Deno.test("static handler hands a CGI index back to the dispatcher", async () => {
  await withSite(async (root) => {
    const location = { index: ["index.php"], cgi: new Map([[".php", "/usr/bin/php-cgi"]]) };
    const response = await request(root, "/app/?x=1", { location });
    assert.equal(response.internalRedirect, "/app/index.php?x=1");
  });
});

Deno.test("static handler maps an alias location", async () => {
  await withSite(async (root) => {
    const location = { path: "/files/", alias: `${root}/docs/` };
    const file = await request(root, "/files/guide.txt", { location });
    assert.equal(await bodyText(file), "guide");
    const index = await request(root, "/files/", { location });
    assert.equal(await bodyText(index), "<h1>docs</h1>");
    const bare = await request(root, "/files", { location });
    assert.equal(bare.status, 301);
    assert.equal(header(bare, "Location"), "/files/");
    const traversal = await request(root, "/files../hello.txt", {
      location: { path: "/files", alias: `${root}/docs/` },
    });
    assert.equal(traversal.status, 404);
  });
});

Deno.test({
  name: "static handler answers 403 for an unreadable file",
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  fn: async () => {
    await withSite(async (root) => {
      await Deno.chmod(`${root}/hello.txt`, 0o000);
      await Deno.chmod(`${root}/big.bin`, 0o000);
      assert.equal((await request(root, "/hello.txt")).status, 403);
      assert.equal((await request(root, "/big.bin")).status, 403);
    });
  },
});

Deno.test("static handler answers 403 for a symlink loop", async () => {
  await withSite(async (root) => {
    await Deno.symlink(`${root}/loop-b`, `${root}/loop-a`);
    await Deno.symlink(`${root}/loop-a`, `${root}/loop-b`);
    assert.equal((await request(root, "/loop-a")).status, 403);
  });
});

Deno.test("static handler answers 304 for a matching If-None-Match", async () => {
  await withSite(async (root) => {
    const first = await request(root, "/hello.txt");
    const etag = header(first, "ETag")!;
    const lastModified = header(first, "Last-Modified")!;
    for (const value of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const response = await request(root, "/hello.txt", { headers: [["if-none-match", value]] });
      assert.equal(response.status, 304, value);
      assert.equal(response.body, null);
      assert.equal(header(response, "ETag"), etag);
      assert.equal(header(response, "Last-Modified"), lastModified);
    }
  });
});

Deno.test("static handler answers 200 for a different If-None-Match", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/hello.txt", {
      headers: [["if-none-match", '"nope"'], [
        "if-modified-since",
        "Fri, 01 Jan 2100 00:00:00 GMT",
      ]],
    });
    // If-None-Match wins over If-Modified-Since.
    assert.equal(response.status, 200);
  });
});

Deno.test("static handler compares If-Modified-Since with the mtime as if_modified_since says", async () => {
  await withSite(async (root) => {
    const lastModified = header(await request(root, "/hello.txt"), "Last-Modified")!;
    const later = "Fri, 01 Jan 2100 00:00:00 GMT";
    const earlier = "Thu, 01 Jan 1970 00:00:00 GMT";
    const cases: ["exact" | "before" | "off", string, number][] = [
      // nginx's default: only the same date is "not modified".
      ["exact", lastModified, 304],
      ["exact", later, 200],
      ["exact", earlier, 200],
      ["exact", "not a date", 200],
      ["before", lastModified, 304],
      ["before", later, 304],
      ["before", earlier, 200],
      ["off", lastModified, 200],
    ];
    for (const [ifModifiedSince, since, status] of cases) {
      const response = await request(root, "/hello.txt", {
        headers: [["if-modified-since", since]],
        location: { ifModifiedSince },
      });
      assert.equal(response.status, status, `${ifModifiedSince} ${since}`);
    }
  });
});

Deno.test("static handler leaves ETag out with etag off", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/hello.txt", { location: { etag: false } });
    assert.equal(header(response, "ETag"), undefined);
    assert.ok(header(response, "Last-Modified") !== undefined);
  });
});

const RANGE_CASES: [range: string, status: number, body: string, contentRange?: string][] = [
  ["bytes=2-5", 206, "2345", "bytes 2-5/10"],
  ["bytes=0-0", 206, "0", "bytes 0-0/10"],
  ["bytes=9-9", 206, "9", "bytes 9-9/10"],
  ["bytes=5-", 206, "56789", "bytes 5-9/10"],
  ["bytes=-3", 206, "789", "bytes 7-9/10"],
  ["bytes=-30", 206, DIGITS, "bytes 0-9/10"],
  ["bytes=3-100", 206, "3456789", "bytes 3-9/10"],
  ["Bytes = 1-2", 206, "12", "bytes 1-2/10"],
  ["bytes=10-", 416, "", "bytes */10"],
  ["bytes=10-20", 416, "", "bytes */10"],
  ["bytes=-0", 416, "", "bytes */10"],
  ["bytes=0-1,3-4", 200, DIGITS],
  ["bytes=5-2", 200, DIGITS],
  ["bytes=abc", 200, DIGITS],
  ["bytes=1", 200, DIGITS],
  ["bytes=-", 200, DIGITS],
  ["items=0-1", 200, DIGITS],
  ["bytes=99999999999999999999-", 200, DIGITS],
];

for (const [range, status, body, contentRange] of RANGE_CASES) {
  Deno.test(`static handler answers Range "${range}" with ${status}`, async () => {
    await withSite(async (root) => {
      const response = await request(root, "/digits.txt", { headers: [["range", range]] });
      assert.equal(response.status, status);
      assert.equal(header(response, "Content-Range"), contentRange);
      if (status === 416) {
        // The filter answers with the generated error page.
        assert.match(await bodyText(response) ?? "", /416 Range Not Satisfiable/);
        return;
      }
      assert.equal(await bodyText(response), body);
      assert.equal(header(response, "Content-Length"), String(body.length));
      assert.equal(header(response, "Content-Type"), "text/plain; charset=utf-8");
    });
  });
}

Deno.test("static handler honours If-Range only for the current version", async () => {
  await withSite(async (root) => {
    const full = await request(root, "/digits.txt");
    const etag = header(full, "ETag")!;
    const lastModified = header(full, "Last-Modified")!;
    const cases: [string, number][] = [
      [etag, 206],
      [lastModified, 206],
      ['"stale-etag"', 200],
      [`W/${etag}`, 200],
      ["Thu, 01 Jan 1970 00:00:00 GMT", 200],
    ];
    for (const [ifRange, status] of cases) {
      const response = await request(root, "/digits.txt", {
        headers: [["range", "bytes=0-3"], ["if-range", ifRange]],
      });
      assert.equal(response.status, status, ifRange);
      assert.equal(await bodyText(response), status === 206 ? "0123" : DIGITS);
    }
  });
});

Deno.test("static handler streams a large file from disk", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/big.bin");
    assert.equal(response.status, 200);
    const body = response.body;
    assert.ok(body !== null && !(body instanceof Uint8Array) && body.kind === "file");
    assert.equal(body.start, 0);
    assert.equal(body.length, BIG_SIZE);
    assert.equal(header(response, "Content-Length"), String(BIG_SIZE));
    assert.equal(header(response, "Content-Type"), "application/octet-stream");
    assert.deepEqual(await bodyBytes(response), pattern(BIG_SIZE));
  });
});

Deno.test("static handler streams a range of a large file", async () => {
  await withSite(async (root) => {
    const start = 100_000;
    const response = await request(root, "/big.bin", {
      headers: [["range", `bytes=${start}-${start + 999}`]],
    });
    assert.equal(response.status, 206);
    assert.equal(header(response, "Content-Range"), `bytes ${start}-${start + 999}/${BIG_SIZE}`);
    assert.equal(header(response, "Content-Length"), "1000");
    assert.deepEqual(await bodyBytes(response), pattern(BIG_SIZE).subarray(start, start + 1000));
  });
});

Deno.test("static handler answers HEAD of a large file without opening it", async () => {
  await withSite(async (root) => {
    const response = await request(root, "/big.bin", { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.body, null);
    assert.equal(header(response, "Content-Length"), String(BIG_SIZE));
  });
});

Deno.test("static handler serves small files from memory with shared frozen headers", async () => {
  await withSite(async (root) => {
    const handler = serveWith();
    const first = await handler(context(root, "/hello.txt"));
    const second = await handler(context(root, "/hello.txt"));
    assert.ok(first !== null && second !== null);
    assert.ok(first.body instanceof Uint8Array);
    assert.equal(first.body, second.body);
    assert.equal(first.headers, second.headers);
    assert.ok(Object.isFrozen(first.headers));
  });
});

Deno.test("static handler sees a changed file once the cache window has passed", async () => {
  await withSite(async (root) => {
    let now = 1_000_000;
    const handler = serveWith({ now: () => now });
    const get = async (target: string) => {
      const response = await handler(context(root, target));
      assert.ok(response !== null);
      return response;
    };
    assert.equal(await bodyText(await get("/hello.txt")), HELLO);
    assert.equal((await get("/new.txt")).status, 404);
    await Deno.writeTextFile(`${root}/hello.txt`, "changed, and longer than before\n");
    await Deno.writeTextFile(`${root}/new.txt`, "new");
    // Inside the window: the cached answers stand.
    now += 999;
    assert.equal(await bodyText(await get("/hello.txt")), HELLO);
    assert.equal((await get("/new.txt")).status, 404);
    // After it: one stat sees the change.
    now += 1;
    const changed = await get("/hello.txt");
    assert.equal(await bodyText(changed), "changed, and longer than before\n");
    assert.equal(header(changed, "Content-Length"), "32");
    assert.equal(await bodyText(await get("/new.txt")), "new");
  });
});

Deno.test("static handler revalidates every request with revalidateMs 0", async () => {
  await withSite(async (root) => {
    const handler = serveWith({ revalidateMs: 0 });
    const get = async () => {
      const response = await handler(context(root, "/digits.txt"));
      assert.ok(response !== null);
      return await bodyText(response);
    };
    assert.equal(await get(), DIGITS);
    await Deno.writeTextFile(`${root}/digits.txt`, "abc");
    assert.equal(await get(), "abc");
    await Deno.remove(`${root}/digits.txt`);
    const gone = await handler(context(root, "/digits.txt"));
    assert.equal(gone?.status, 404);
  });
});

Deno.test("static handler describes a large file as it is when it changed since it was cached", async () => {
  await withSite(async (root) => {
    let now = 0;
    const handler = serveWith({ now: () => now });
    const first = await handler(context(root, "/big.bin"));
    assert.ok(first !== null);
    await bodyBytes(first);
    const smaller = pattern(100 * 1024);
    await Deno.writeFile(`${root}/big.bin`, smaller);
    now += 10;
    // A range is judged against the file that is opened, not the cached size.
    const ranged = await handler(
      context(root, "/big.bin", { headers: [["range", "bytes=150000-"]] }),
    );
    assert.equal(ranged?.status, 416);
    assert.equal(header(ranged!, "Content-Range"), `bytes */${smaller.length}`);
    const whole = await handler(context(root, "/big.bin"));
    assert.ok(whole !== null);
    assert.equal(whole.status, 200);
    assert.equal(header(whole, "Content-Length"), String(smaller.length));
    assert.deepEqual(await bodyBytes(whole), smaller);
  });
});
