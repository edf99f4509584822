import assert from "node:assert/strict";
import { join } from "node:path";
import type { LocationConfig } from "../../../lib/config/types.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { uploadHandler } from "../../../lib/handlers/upload.ts";
import { HttpError } from "../../../lib/http/errors.ts";
import type { BodyReader } from "../../../lib/http/request.ts";
import type { Response } from "../../../lib/http/response.ts";
import { storeTarget } from "../../../lib/upload/store_target.ts";
import {
  bodyOf,
  type BodyOptions,
  emptyBody,
  testContext,
  testHead,
  testLocation,
} from "../_fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FIXTURES = join(import.meta.dirname!, "../..", "testdata", "upload");
const BROWSER_BOUNDARY = "----WebKitFormBoundaryqT3UJmFNfkCe3Jmz";

function locationFor(store: string | null, path = "/uploads/"): LocationConfig {
  return testLocation({ uploadStore: store, path });
}

function contextFor(
  location: LocationConfig,
  method: string,
  path: string,
  headers: [string, string][],
  body: BodyReader,
): RequestContext {
  return testContext({ head: testHead({ method, target: path, headers }), body, path, location });
}

interface UploadRequest {
  method?: string;
  path?: string;
  contentType?: string;
  accept?: string;
  data?: Uint8Array;
  body?: BodyOptions;
  location?: LocationConfig;
}

/** Runs the handler against `store` with a Content-Length request. */
async function upload(store: string, request: UploadRequest): Promise<Response | null> {
  const data = request.data ?? new Uint8Array(0);
  const headers: [string, string][] = [["content-length", String(data.length)]];
  if (request.contentType !== undefined) headers.push(["content-type", request.contentType]);
  if (request.accept !== undefined) headers.push(["accept", request.accept]);
  const ctx = contextFor(
    request.location ?? locationFor(store),
    request.method ?? "POST",
    request.path ?? "/uploads/",
    headers,
    bodyOf(data, request.body),
  );
  return await uploadHandler(ctx);
}

/** A multipart body: each part is [name, filename or null, content]. */
function form(boundary: string, parts: [string, string | null, string | Uint8Array][]): Uint8Array {
  const pieces: Uint8Array[] = [];
  for (const [name, filename, content] of parts) {
    const disposition = filename === null
      ? `form-data; name="${name}"`
      : `form-data; name="${name}"; filename="${filename}"`;
    pieces.push(encoder.encode(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
    pieces.push(typeof content === "string" ? encoder.encode(content) : content);
    pieces.push(encoder.encode("\r\n"));
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BOUNDARY = "b0undary";
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

/** The store's entries, sorted, with file contents. */
async function listStore(store: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = [];
  for await (const entry of Deno.readDir(store)) names.push(entry.name);
  for (const name of names.sort()) {
    const info = await Deno.lstat(join(store, name));
    out[name] = info.isFile ? await Deno.readTextFile(join(store, name)) : "<dir>";
  }
  return out;
}

async function withStore(fn: (store: string) => Promise<void>): Promise<void> {
  const store = await Deno.makeTempDir({ prefix: "upload_test_" });
  try {
    await fn(store);
  } finally {
    await Deno.remove(store, { recursive: true });
  }
}

function bodyText(response: Response | null): string {
  assert.ok(response?.body instanceof Uint8Array, "body is not bytes");
  return decoder.decode(response.body);
}

function header(response: Response | null, name: string): string | undefined {
  return response?.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

Deno.test("storeTarget() maps paths to the store or a file directly in it", () => {
  const table: [path: string, location: string, expected: { name: string | null } | null][] = [
    ["/uploads/", "/uploads/", { name: null }],
    ["/uploads", "/uploads/", { name: null }],
    ["/uploads/a.txt", "/uploads/", { name: "a.txt" }],
    ["/uploads/a b.txt", "/uploads/", { name: "a b.txt" }],
    ["/uploads/a/b.txt", "/uploads/", null],
    ["/uploads/a/", "/uploads/", null],
    ["/uploads", "/uploads", { name: null }],
    ["/uploads/", "/uploads", { name: null }],
    ["/uploads/a.txt", "/uploads", { name: "a.txt" }],
    ["/uploadsX", "/uploads", null],
    ["/other/a.txt", "/uploads/", null],
    ["/a.txt", "/", { name: "a.txt" }],
    ["/", "/", { name: null }],
  ];
  for (const [path, location, expected] of table) {
    assert.deepEqual(storeTarget(path, location), expected, `${path} in ${location}`);
  }
});

Deno.test("uploadHandler declines other methods and locations without upload_store", async () => {
  await withStore(async (store) => {
    for (const method of ["GET", "HEAD", "DELETE", "OPTIONS"]) {
      assert.equal(await upload(store, { method }), null, method);
    }
    assert.equal(await upload(store, { location: locationFor(null) }), null);
    assert.deepEqual(await listStore(store), {});
  });
});

Deno.test("uploadHandler saves every file of a browser form, in any chunk size", async () => {
  const data = await Deno.readFile(join(FIXTURES, "browser_form.bin"));
  for (const chunkSize of [1, 2, 7, 100, 65536]) {
    await withStore(async (store) => {
      const response = await upload(store, {
        contentType: `multipart/form-data; boundary=${BROWSER_BOUNDARY}`,
        accept: "application/json, text/plain, */*",
        data,
        body: { chunkSize },
      });
      assert.equal(response?.status, 201, `chunk size ${chunkSize}`);
      assert.equal(header(response, "Location"), "/uploads/notes.txt");
      assert.equal(header(response, "Content-Type"), "application/json");
      assert.deepEqual(JSON.parse(bodyText(response)), {
        files: [
          { name: "notes.txt", size: 46, url: "/uploads/notes.txt" },
          {
            name: "naïve café.txt",
            size: 13,
            url: "/uploads/na%C3%AFve%20caf%C3%A9.txt",
          },
        ],
      });
      assert.deepEqual(await listStore(store), {
        "naïve café.txt": "ünïcödé\r\n",
        "notes.txt": "first line\r\n\r\n------ not a boundary\r\nlast line",
      });
    });
  }
});

Deno.test("uploadHandler answers HTML with escaped links by default", async () => {
  await withStore(async (store) => {
    const response = await upload(store, {
      contentType: MULTIPART,
      data: form(BOUNDARY, [["f", "<b>&.txt", "x"]]),
    });
    assert.equal(response?.status, 201);
    assert.equal(header(response, "Content-Type"), "text/html; charset=utf-8");
    const html = bodyText(response);
    assert.ok(html.includes('<a href="/uploads/%3Cb%3E%26.txt">&#60;b&#62;&#38;.txt</a>'), html);
    assert.ok(html.includes("(1 bytes)"));
  });
});

Deno.test("uploadHandler never overwrites: the same name twice gets a number", async () => {
  await withStore(async (store) => {
    await Deno.writeTextFile(join(store, "a.txt"), "existing");
    const response = await upload(store, {
      contentType: MULTIPART,
      accept: "application/json",
      data: form(BOUNDARY, [["f", "a.txt", "one"], ["f", "a.txt", "two"]]),
    });
    assert.equal(response?.status, 201);
    const names = JSON.parse(bodyText(response)).files.map((f: { name: string }) => f.name);
    assert.deepEqual(names, ["a-1.txt", "a-2.txt"]);
    assert.deepEqual(await listStore(store), {
      "a-1.txt": "one",
      "a-2.txt": "two",
      "a.txt": "existing",
    });
  });
});

Deno.test("uploadHandler sanitises hostile file names into the store", async () => {
  await withStore(async (store) => {
    const response = await upload(store, {
      contentType: MULTIPART,
      accept: "application/json",
      data: form(BOUNDARY, [
        ["a", "../../etc/passwd", "1"],
        ["b", "C:\\Users\\me\\.htaccess", "2"],
        ["c", "..", "3"],
      ]),
    });
    assert.equal(response?.status, 201);
    const names = JSON.parse(bodyText(response)).files.map((f: { name: string }) => f.name);
    assert.equal(names[0], "passwd");
    assert.equal(names[1], "htaccess");
    assert.match(names[2], /^upload-\d+-[0-9a-f]{8}\.bin$/);
    assert.deepEqual(Object.keys(await listStore(store)).sort(), [...names].sort());
  });
});

Deno.test("uploadHandler refuses a form without a file, a bad form, and no boundary", async () => {
  const cases: {
    name: string;
    contentType: string;
    data: Uint8Array;
    status: number;
    text?: RegExp;
  }[] = [
    {
      name: "only fields and an empty file input",
      contentType: MULTIPART,
      data: form(BOUNDARY, [["title", null, "x"], ["f", "", ""]]),
      status: 400,
      text: /^No file in the form\n$/,
    },
    {
      name: "missing final boundary",
      contentType: MULTIPART,
      data: form(BOUNDARY, [["f", "a.txt", "data"]]).subarray(0, -16),
      status: 400,
      text: /closing boundary/,
    },
    {
      name: "wrong boundary",
      contentType: "multipart/form-data; boundary=other",
      data: form(BOUNDARY, [["f", "a.txt", "data"]]),
      status: 400,
      text: /No multipart boundary "other"/,
    },
    {
      name: "no boundary parameter",
      contentType: "multipart/form-data",
      data: form(BOUNDARY, [["f", "a.txt", "data"]]),
      status: 415,
    },
  ];
  for (const c of cases) {
    await withStore(async (store) => {
      const response = await upload(store, { contentType: c.contentType, data: c.data });
      assert.equal(response?.status, c.status, c.name);
      if (c.text === undefined) assert.equal(response?.body, null);
      else assert.match(bodyText(response), c.text, c.name);
      assert.deepEqual(await listStore(store), {}, c.name);
    });
  }
});

Deno.test("uploadHandler saves a raw POST under its name, numbered when taken", async () => {
  await withStore(async (store) => {
    const data = encoder.encode("raw bytes");
    for (const expected of ["x.bin", "x-1.bin"]) {
      const response = await upload(store, {
        path: "/uploads/x.bin",
        data,
        body: { chunkSize: 3 },
      });
      assert.equal(response?.status, 201);
      assert.equal(header(response, "Location"), `/uploads/${expected}`);
    }
    assert.deepEqual(await listStore(store), { "x-1.bin": "raw bytes", "x.bin": "raw bytes" });
  });
});

Deno.test("uploadHandler names a raw POST to the store itself from its Content-Type", async () => {
  await withStore(async (store) => {
    const table: [contentType: string | undefined, extension: string][] = [
      ["image/png", ".png"],
      ["text/plain; charset=utf-8", ".txt"],
      ["application/x-unknown", ".bin"],
      [undefined, ".bin"],
    ];
    for (const [contentType, extension] of table) {
      const response = await upload(store, {
        path: "/uploads",
        contentType,
        data: encoder.encode("x"),
      });
      assert.equal(response?.status, 201);
      const location = header(response, "Location")!;
      assert.match(location, /^\/uploads\/upload-\d+-[0-9a-f]{8}\.\w+$/);
      assert.ok(location.endsWith(extension), `${contentType}: ${location}`);
    }
    assert.equal(Object.keys(await listStore(store)).length, 4);
  });
});

Deno.test("uploadHandler saves an empty and a chunked raw body", async () => {
  await withStore(async (store) => {
    const empty = await upload(store, { path: "/uploads/empty.txt" });
    assert.equal(empty?.status, 201);
    const chunked = await upload(store, {
      path: "/uploads/chunked.txt",
      data: encoder.encode("chunked body"),
      body: { length: null, chunkSize: 5 },
    });
    assert.equal(chunked?.status, 201);
    assert.deepEqual(await listStore(store), { "chunked.txt": "chunked body", "empty.txt": "" });
  });
});

Deno.test("uploadHandler answers 411 to a POST or PUT without any body framing", async () => {
  await withStore(async (store) => {
    for (const method of ["POST", "PUT"]) {
      const ctx = contextFor(
        locationFor(store),
        method,
        "/uploads/a.txt",
        [],
        emptyBody(),
      );
      assert.equal((await uploadHandler(ctx))?.status, 411, method);
    }
    assert.deepEqual(await listStore(store), {});
  });
});

Deno.test("uploadHandler refuses paths below the store with 403", async () => {
  await withStore(async (store) => {
    await Deno.mkdir(join(store, "sub"));
    for (const method of ["POST", "PUT"]) {
      for (const path of ["/uploads/sub/a.txt", "/uploads/a.txt/", "/other/a.txt"]) {
        const response = await upload(store, { method, path, data: encoder.encode("x") });
        assert.equal(response?.status, 403, `${method} ${path}`);
      }
    }
    assert.deepEqual(await listStore(store), { sub: "<dir>" });
  });
});

Deno.test("uploadHandler PUT creates (201) and then replaces (204) a file", async () => {
  await withStore(async (store) => {
    const created = await upload(store, {
      method: "PUT",
      path: "/uploads/doc.txt",
      data: encoder.encode("version 1"),
    });
    assert.equal(created?.status, 201);
    assert.equal(header(created, "Location"), "/uploads/doc.txt");
    const replaced = await upload(store, {
      method: "PUT",
      path: "/uploads/doc.txt",
      data: encoder.encode("version 2, longer"),
      body: { chunkSize: 4 },
    });
    assert.equal(replaced?.status, 204);
    assert.equal(replaced?.body, null);
    assert.deepEqual(await listStore(store), { "doc.txt": "version 2, longer" });
  });
});

Deno.test("uploadHandler PUT keeps the old file whole until the new one is complete", async () => {
  await withStore(async (store) => {
    await Deno.writeTextFile(join(store, "doc.txt"), "old content");
    const seen: string[] = [];
    const response = await upload(store, {
      method: "PUT",
      path: "/uploads/doc.txt",
      data: encoder.encode("new content!"),
      body: {
        chunkSize: 4,
        beforeRead: async (offset) => {
          if (offset > 0) seen.push(await Deno.readTextFile(join(store, "doc.txt")));
        },
      },
    });
    assert.equal(response?.status, 204);
    assert.deepEqual(new Set(seen), new Set(["old content"]));
    assert.deepEqual(await listStore(store), { "doc.txt": "new content!" });
  });
});

Deno.test("uploadHandler PUT refuses the store itself, hidden names and directories", async () => {
  await withStore(async (store) => {
    await Deno.mkdir(join(store, "dir"));
    const table: [path: string, status: number][] = [
      ["/uploads/", 400],
      ["/uploads", 400],
      ["/uploads/.htaccess", 403],
      ["/uploads/a\u0001b", 403],
      ["/uploads/dir", 409],
    ];
    for (const [path, status] of table) {
      const response = await upload(store, { method: "PUT", path, data: encoder.encode("x") });
      assert.equal(response?.status, status, path);
    }
    assert.deepEqual(await listStore(store), { dir: "<dir>" });
  });
});

Deno.test("uploadHandler leaves no file when the body fails midway", async () => {
  const multipart = form(BOUNDARY, [["a", "first.txt", "x".repeat(5000)], [
    "b",
    "second.txt",
    "y".repeat(5000),
  ]]);
  const raw = new Uint8Array(10000).fill(0x61);
  const failures: { name: string; error: unknown; check: (e: unknown) => boolean }[] = [
    {
      name: "413",
      error: new HttpError(413, "Body exceeds 8000 bytes"),
      check: (e) => e instanceof HttpError && e.status === 413,
    },
    {
      name: "connection reset",
      error: new Deno.errors.ConnectionReset("reset"),
      check: (e) => e instanceof Deno.errors.ConnectionReset,
    },
  ];
  const requests: { name: string; request: UploadRequest }[] = [
    // 8000 bytes: the first file is complete, the second is half written.
    { name: "multipart", request: { contentType: MULTIPART, data: multipart } },
    { name: "raw POST", request: { path: "/uploads/raw.bin", data: raw } },
    { name: "PUT new", request: { method: "PUT", path: "/uploads/new.bin", data: raw } },
    { name: "PUT existing", request: { method: "PUT", path: "/uploads/keep.txt", data: raw } },
  ];
  for (const failure of failures) {
    for (const { name, request } of requests) {
      await withStore(async (store) => {
        await Deno.writeTextFile(join(store, "keep.txt"), "keep me");
        await assert.rejects(
          upload(store, {
            ...request,
            body: { chunkSize: 1000, failAt: 8000, error: failure.error },
          }),
          failure.check,
          `${failure.name}, ${name}`,
        );
        assert.deepEqual(
          await listStore(store),
          { "keep.txt": "keep me" },
          `${failure.name}, ${name}`,
        );
      });
    }
  }
});

Deno.test("uploadHandler answers 409 when the store is gone, as nginx's WebDAV module", async () => {
  await withStore(async (store) => {
    const missing = join(store, "missing");
    const response = await upload(missing, { path: "/uploads/a.txt", data: encoder.encode("x") });
    assert.equal(response?.status, 409);
  });
});

Deno.test("uploadHandler answers 403 when the store may not be written", async () => {
  if (Deno.uid() === 0) return; // root writes anywhere: nothing to test as root
  await withStore(async (store) => {
    await Deno.chmod(store, 0o500);
    try {
      const response = await upload(store, { path: "/uploads/a.txt", data: encoder.encode("x") });
      assert.equal(response?.status, 403);
    } finally {
      await Deno.chmod(store, 0o700);
    }
  });
});

Deno.test("uploadHandler writes a large multipart upload to disk as it reads it", async () => {
  await withStore(async (store) => {
    const size = 128 * 1024 * 1024;
    const head = encoder.encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n`,
    );
    const tail = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7) & 0xff;
    const total = head.length + size + tail.length;
    const halfway = head.length + size / 2;
    let offset = 0;
    /** What the store holds on disk when half the body has been handed out. */
    let onDiskHalfway = -1;
    // Pieces of the body made up on the fly: nothing the size of the upload exists in memory.
    const body: BodyReader = {
      length: total,
      async read() {
        if (offset === halfway) onDiskHalfway = await bytesIn(store);
        let piece: Uint8Array | null;
        if (offset === 0) piece = head;
        else if (offset < head.length + size) piece = chunk;
        else if (offset < total) piece = tail;
        else piece = null;
        if (piece !== null) offset += piece.length;
        return piece;
      },
    };
    const ctx = contextFor(locationFor(store), "POST", "/uploads/", [
      ["content-type", MULTIPART],
      ["content-length", String(total)],
    ], body);
    const response = await uploadHandler(ctx);
    assert.equal(response?.status, 201);
    assert.equal((await Deno.stat(join(store, "big.bin"))).size, size);
    // Streamed: what was read had reached the disk, all but a piece or two (measured apart from
    // RSS, which other test files running in this process would blur).
    assert.ok(onDiskHalfway >= size / 2 - 2 * chunk.length, `${onDiskHalfway} bytes on disk`);
  });
});

/** The bytes of every file in a directory, hidden temporary files included. */
async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) total += (await Deno.stat(join(dir, entry.name))).size;
  }
  return total;
}
