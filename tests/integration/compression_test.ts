/**
 * Compression over real sockets: every kind of body (a small file from memory, a large file, a
 * CGI script's output, a proxied answer) round-trips through gzip and brotli byte for byte, and
 * the answers that must stay as they are do.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { RawClient, type RawResponse } from "./_client.ts";
import { withTestServer } from "./_server.ts";
import { appUpstream } from "./_upstreams.ts";

const CGI = join(import.meta.dirname!, "..", "testdata", "cgi");

/** CSS-like text: compressible, not trivially. */
function css(rules: number): string {
  let out = "";
  for (let i = 0; i < rules; i++) {
    out += `.c${i} { color: #${((i * 2654435761) >>> 8).toString(16).padStart(6, "0")}; ` +
      `margin: ${i % 37}px ${i % 11}px; }\n`;
  }
  return out;
}

const SMALL = css(300); // ~13 KiB: kept in memory by the file cache
const LARGE = css(20_000); // ~900 KiB: streamed from disk

/** One request on its own connection, the whole answer read (chunked bodies decoded). */
async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
) {
  const client = await RawClient.connect(port);
  try {
    const fields = Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`).join("");
    await client.send(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\n${fields}Connection: close\r\n\r\n`,
    );
    return await client.read({ head: method === "HEAD" });
  } finally {
    client.close();
  }
}

function decoded(res: RawResponse): string {
  const coding = res.headers.get("content-encoding");
  const bytes = coding === "gzip"
    ? gunzipSync(res.body)
    : coding === "br"
    ? brotliDecompressSync(res.body)
    : res.body;
  return new TextDecoder().decode(bytes);
}

const CONFIG = (upstream: number) => `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  gzip on;
  gzip_types text/css text/plain application/json image/png;
  gzip_vary on;
  brotli on;
  brotli_types text/css text/plain application/json;
  location /cgi/ { alias ${CGI}/; cgi .py /usr/bin/python3; }
  location /app/ { proxy_pass http://127.0.0.1:${upstream}; }
  location /nothing { return 204; }
  location /text { default_type text/plain; return 200 "${"text ".repeat(40)}"; }
  location /off/ { gzip off; brotli off; }
}`;

async function withSite(fn: (port: number) => Promise<void>): Promise<void> {
  const app = appUpstream((req) =>
    new Response(
      new ReadableStream({
        start(controller) {
          // Sent in pieces: the proxy's answer is a stream of unknown length.
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(SMALL));
          controller.close();
        },
      }),
      { headers: { "content-type": new URL(req.url).searchParams.get("type") ?? "text/css" } },
    )
  );
  try {
    await withTestServer(CONFIG(app.port), {
      "site/small.css": SMALL,
      "site/large.css": LARGE,
      "site/off/small.css": SMALL,
      "site/image.png": SMALL,
      "site/tiny.css": "a{}",
    }, ({ port }) => fn(port));
  } finally {
    await app.close();
  }
}

Deno.test("every kind of body round-trips through gzip and brotli", async () => {
  await withSite(async (port) => {
    const cases: [path: string, expected: string][] = [
      ["/small.css", SMALL],
      ["/large.css", LARGE],
      ["/app/stream", SMALL.repeat(10)],
      ["/text", "text ".repeat(40)],
    ];
    for (const [path, expected] of cases) {
      for (const coding of ["gzip", "br"]) {
        const res = await get(port, path, { "Accept-Encoding": coding });
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-encoding"), coding, `${path} ${coding}`);
        assert.equal(res.headers.get("vary"), "Accept-Encoding", path);
        assert.ok(res.body.length < new TextEncoder().encode(expected).length, path);
        assert.equal(decoded(res), expected, `${path} ${coding}`);
      }
    }
    // A CGI script's output (a stream) too.
    const cgi = await get(port, "/cgi/hello.py?x", { "Accept-Encoding": "gzip" });
    // Below gzip_min_length? No: its length is unknown, so it is compressed.
    assert.equal(cgi.headers.get("content-encoding"), "gzip");
    assert.equal(decoded(cgi), "hello from python x\n");
  });
});

Deno.test("a body in memory keeps a Content-Length; a stream is chunked; ETag weak, no Accept-Ranges", async () => {
  await withSite(async (port) => {
    const small = await get(port, "/small.css", { "Accept-Encoding": "gzip" });
    assert.equal(small.headers.get("content-length"), String(small.body.length));
    assert.match(small.headers.get("etag")!, /^W\/"/);
    assert.equal(small.headers.get("accept-ranges"), undefined);
    const large = await get(port, "/large.css", { "Accept-Encoding": "br" });
    assert.equal(large.headers.get("transfer-encoding"), "chunked");
    assert.equal(large.headers.get("content-length"), undefined);
    // The same small file twice: the same compressed bytes (compressed once, then cached).
    const again = await get(port, "/small.css", { "Accept-Encoding": "gzip" });
    assert.deepEqual(again.body, small.body);
  });
});

Deno.test("Accept-Encoding picks br over gzip, honours q=0, and falls back to identity", async () => {
  await withSite(async (port) => {
    const table: [accept: string | null, expected: string | undefined][] = [
      ["gzip, br", "br"],
      ["br;q=0.5, gzip", "gzip"],
      ["br;q=0, gzip", "gzip"],
      ["gzip;q=0, br;q=0", undefined],
      ["*", "br"],
      ["*;q=0", undefined],
      ["identity", undefined],
      ["deflate", undefined],
      [null, undefined],
    ];
    for (const [accept, expected] of table) {
      const res = await get(
        port,
        "/small.css",
        accept === null ? {} : { "Accept-Encoding": accept },
      );
      assert.equal(res.status, 200, String(accept));
      assert.equal(res.headers.get("content-encoding"), expected, String(accept));
      // gzip_vary: the answer depends on Accept-Encoding either way.
      assert.equal(res.headers.get("vary"), "Accept-Encoding", String(accept));
      assert.equal(decoded(res), SMALL, String(accept));
    }
  });
});

Deno.test("never compressed: 204, 304, a Range's 206, small bodies, other types, gzip off; HEAD says what GET gets", async () => {
  await withSite(async (port) => {
    const gz = { "Accept-Encoding": "gzip, br" };
    // HEAD: the fields of the compressed GET (as nginx), no body, no length.
    const head = await get(port, "/small.css", gz, "HEAD");
    assert.equal(head.headers.get("content-encoding"), "br");
    assert.equal(head.headers.get("content-length"), undefined);
    assert.equal(head.body.length, 0);
    assert.equal((await get(port, "/nothing", gz)).status, 204);
    const etag = (await get(port, "/small.css")).headers.get("etag")!;
    const notModified = await get(port, "/small.css", { ...gz, "If-None-Match": etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("content-encoding"), undefined);
    const ranged = await get(port, "/small.css", { ...gz, Range: "bytes=0-9" });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-encoding"), undefined);
    assert.equal(ranged.text, SMALL.slice(0, 10));
    // Shorter than gzip_min_length (20), a compressed type even when listed, gzip off here.
    for (const path of ["/tiny.css", "/image.png", "/off/small.css"]) {
      const res = await get(port, path, gz);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-encoding"), undefined, path);
    }
    // An upstream answer of a type not listed.
    const json = await get(port, "/app/x?type=application/pdf", gz);
    assert.equal(json.headers.get("content-encoding"), undefined);
  });
});

Deno.test("a request through a proxy (Via) or on HTTP/1.0 gets identity by default, as in nginx", async () => {
  await withSite(async (port) => {
    const via = await get(port, "/small.css", { "Accept-Encoding": "gzip", Via: "1.1 cdn" });
    assert.equal(via.headers.get("content-encoding"), undefined);
    const client = await RawClient.connect(port);
    try {
      await client.send("GET /small.css HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n");
      const old = await client.read();
      assert.equal(old.headers.get("content-encoding"), undefined);
      assert.equal(old.text, SMALL);
    } finally {
      client.close();
    }
  });
});
