/**
 * The compression filter (lib/filters/compression.ts): which responses it compresses (nginx's
 * gzip filter's rules, and ngx_brotli's for br), what the compressed answer's headers are, the
 * coding and level it picks, bodies in memory (compressed once, through the cache), file ranges
 * and streams, and how it stands with the other filters (Range, HEAD). Round trips decode with
 * node:zlib.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { type Coding, compressBytes } from "../../../lib/compression/compress.ts";
import type { LocationConfig } from "../../../lib/config/types.ts";
import { compressionFilter } from "../../../lib/filters/compression.ts";
import { type Body, closeBody, type Response, responseHeader } from "../../../lib/http/response.ts";
import type { RequestContext, Services } from "../../../lib/phases/context.ts";
import { applyFilters } from "../../../lib/phases/engine.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import { testContext, testHead, testLocation, testServices } from "../_fixtures.ts";

const encoder = new TextEncoder();
const TEXT = encoder.encode(
  "<p>Markup repeats itself, and deflate and brotli make the most of it.</p>\n".repeat(40),
);
const GZIPPED = new Uint8Array(gzipSync(TEXT));
const ETAG = '"5f-b40"';
const MODIFIED = "Sun, 06 Nov 1994 08:49:37 GMT";

/** A file's 200 as the static handler makes it (a frozen header list, like the file cache's). */
function file(type = "text/html", body: Uint8Array = TEXT, extra: [string, string][] = []) {
  const headers: [string, string][] = [
    ["Content-Type", type],
    ["Content-Length", String(body.length)],
    ["Last-Modified", MODIFIED],
    ["ETag", ETAG],
    ["Accept-Ranges", "bytes"],
    ...extra,
  ];
  for (const h of headers) Object.freeze(h);
  return { status: 200, headers: Object.freeze(headers) as [string, string][], body };
}

interface Request {
  headers?: [string, string][];
  method?: string;
  minor?: number;
  services?: Services;
}

function context(location: Partial<LocationConfig>, request: Request = {}): RequestContext {
  const head = testHead({
    method: request.method ?? "GET",
    minor: request.minor ?? 1,
    headers: [["host", "localhost"], ...request.headers ?? []],
  });
  const overrides: Partial<RequestContext> = { head, location: testLocation(location) };
  if (request.services !== undefined) overrides.services = request.services;
  return testContext(overrides);
}

const GZIP = { gzip: true } as const;
const BOTH = { gzip: true, brotli: true } as const;
const AE_GZIP: [string, string] = ["accept-encoding", "gzip"];
const AE_BOTH: [string, string] = ["accept-encoding", "gzip, deflate, br"];

function header(res: Response, name: string): string | undefined {
  return responseHeader(res, name.toLowerCase());
}

/** The body's bytes: a stream read to its end (then closed), a file range read from its file. */
async function bytesOf(body: Body): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  if (body.kind === "stream") {
    try {
      for await (const part of body.chunks) parts.push(part.slice());
    } finally {
      body.close?.();
    }
  } else if (body.kind === "file") {
    try {
      await body.file.seek(body.start, Deno.SeekMode.Start);
      const out = new Uint8Array(body.length);
      for (let at = 0; at < out.length;) {
        const n = await body.file.read(out.subarray(at));
        if (n === null) break;
        at += n;
      }
      parts.push(out);
    } finally {
      body.file.close();
    }
  } else {
    throw new Error("A tunnel has no bytes");
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function decode(encoding: string | undefined, bytes: Uint8Array): Uint8Array {
  if (encoding === "gzip") return new Uint8Array(gunzipSync(bytes));
  if (encoding === "br") return new Uint8Array(brotliDecompressSync(bytes));
  assert.ok(encoding === undefined || encoding === "identity", `an unknown coding "${encoding}"`);
  return bytes;
}

/** The response's coding, Vary, and whether its body decodes to `original`. */
async function outcome(res: Response, original: Uint8Array) {
  const encoding = header(res, "Content-Encoding");
  const decoded = decode(encoding, await bytesOf(res.body));
  assert.deepEqual(decoded, original, "the body decodes to the original");
  const coding = encoding === undefined || encoding === "identity" ? null : encoding;
  return { encoding: coding, vary: header(res, "Vary") ?? null };
}

interface Row {
  name: string;
  location: Partial<LocationConfig>;
  request?: Request;
  response?: () => Response;
  encoding: Coding | null;
  /** Vary: Accept-Encoding expected (with gzip_vary on). */
  vary?: boolean;
  /** The filter returns the response itself. */
  untouched?: boolean;
}

const VARY = { gzip: true, gzipVary: true } as const;

const ROWS: Row[] = [
  { name: "gzip off", location: {}, request: { headers: [AE_GZIP] }, encoding: null },
  { name: "gzip on, AE gzip", location: GZIP, request: { headers: [AE_GZIP] }, encoding: "gzip" },
  { name: "gzip on, no AE", location: GZIP, encoding: null },
  {
    name: "gzip on, AE gzip;q=0",
    location: GZIP,
    request: { headers: [["accept-encoding", "gzip;q=0"]] },
    encoding: null,
  },
  {
    name: "gzip on, AE br only",
    location: GZIP,
    request: { headers: [["accept-encoding", "br"]] },
    encoding: null,
  },
  {
    name: "brotli on, AE br and gzip",
    location: BOTH,
    request: { headers: [AE_BOTH] },
    encoding: "br",
  },
  {
    name: "brotli only",
    location: { brotli: true },
    request: { headers: [AE_BOTH] },
    encoding: "br",
  },
  {
    name: "brotli on, AE gzip only",
    location: BOTH,
    request: { headers: [AE_GZIP] },
    encoding: "gzip",
  },
  {
    name: "brotli weighed lower",
    location: BOTH,
    request: { headers: [["accept-encoding", "br;q=0.5, gzip"]] },
    encoding: "gzip",
  },
  {
    name: "brotli refused",
    location: BOTH,
    request: { headers: [["accept-encoding", "br;q=0, *"]] },
    encoding: "gzip",
  },
  // Types: text/html always, the rest as listed, per coding.
  {
    name: "text/css not in gzip_types",
    location: VARY,
    request: { headers: [AE_GZIP] },
    response: () => file("text/css"),
    encoding: null,
  },
  {
    name: "text/css in gzip_types",
    location: { ...VARY, gzipTypes: ["text/html", "text/css"] },
    request: { headers: [AE_GZIP] },
    response: () => file("text/css"),
    encoding: "gzip",
    vary: true,
  },
  {
    name: "text/css in brotli_types only: br",
    location: { ...BOTH, gzipVary: true, brotliTypes: ["text/html", "text/css"] },
    request: { headers: [AE_BOTH] },
    response: () => file("text/css"),
    encoding: "br",
    vary: true,
  },
  {
    name: "text/css in brotli_types only, AE gzip: eligible, not compressed",
    location: { ...BOTH, gzipVary: true, brotliTypes: ["text/html", "text/css"] },
    request: { headers: [AE_GZIP] },
    response: () => file("text/css"),
    encoding: null,
    vary: true,
  },
  {
    name: "a type with parameters, in upper case",
    location: GZIP,
    request: { headers: [AE_GZIP] },
    response: () => file("Text/HTML; charset=UTF-8"),
    encoding: "gzip",
  },
  {
    name: "no Content-Type",
    location: { gzip: true, gzipTypes: ["*"] },
    request: { headers: [AE_GZIP] },
    response: () => ({ status: 200, headers: [], body: TEXT }),
    encoding: null,
  },
  {
    name: "gzip_types *: application/octet-stream",
    location: { gzip: true, gzipTypes: ["text/html", "*"] },
    request: { headers: [AE_GZIP] },
    response: () => file("application/octet-stream"),
    encoding: "gzip",
  },
  {
    name: "gzip_types *: image/svg+xml",
    location: { gzip: true, gzipTypes: ["text/html", "*"] },
    request: { headers: [AE_GZIP] },
    response: () => file("image/svg+xml"),
    encoding: "gzip",
  },
  // Statuses.
  ...[200, 403, 404].map((status): Row => ({
    name: `status ${status}`,
    location: GZIP,
    request: { headers: [AE_GZIP] },
    response: () => ({ ...file(), status }),
    encoding: "gzip",
  })),
  ...[201, 206, 301, 302, 410, 500, 503].map((status): Row => ({
    name: `status ${status}`,
    location: VARY,
    request: { headers: [AE_GZIP] },
    response: () => ({ ...file(), status }),
    encoding: null,
    vary: false,
  })),
  // A body that says its coding.
  {
    name: "Content-Encoding already",
    location: VARY,
    request: { headers: [AE_GZIP] },
    response: () => file("text/html", GZIPPED, [["Content-Encoding", "gzip"]]),
    encoding: "gzip",
    vary: false,
    untouched: true,
  },
  {
    name: "Content-Encoding: identity already",
    location: VARY,
    request: { headers: [AE_GZIP] },
    response: () => file("text/html", TEXT, [["Content-Encoding", "identity"]]),
    encoding: null,
    vary: false,
    untouched: true,
  },
  // Lengths.
  {
    name: "gzip_min_length: equal",
    location: { ...VARY, gzipMinLength: TEXT.length },
    request: { headers: [AE_GZIP] },
    encoding: "gzip",
    vary: true,
  },
  {
    name: "gzip_min_length: one byte short",
    location: { ...VARY, gzipMinLength: TEXT.length + 1 },
    request: { headers: [AE_GZIP] },
    encoding: null,
    vary: false,
  },
  {
    name: "brotli_min_length too long for br, gzip's fits",
    location: { ...BOTH, brotliMinLength: TEXT.length + 1 },
    request: { headers: [AE_BOTH] },
    encoding: "gzip",
  },
  // The request checks leave an eligible answer identity, with Vary.
  {
    name: "HTTP/1.0 under gzip_http_version 1.1",
    location: VARY,
    request: { headers: [AE_GZIP], minor: 0 },
    encoding: null,
    vary: true,
  },
  {
    name: "HTTP/1.0 under gzip_http_version 1.0",
    location: { ...VARY, gzipHttpVersion: "1.0" },
    request: { headers: [AE_GZIP], minor: 0 },
    encoding: "gzip",
    vary: true,
  },
  {
    name: "Via, gzip_proxied off",
    location: VARY,
    request: { headers: [AE_GZIP, ["via", "1.1 proxy"]] },
    encoding: null,
    vary: true,
  },
  {
    name: "Via, gzip_proxied any",
    location: { ...VARY, gzipProxied: ["any"] },
    request: { headers: [AE_GZIP, ["via", "1.1 proxy"]] },
    encoding: "gzip",
    vary: true,
  },
  {
    name: "gzip_disable msie6, MSIE 6.0",
    location: { ...VARY, gzipDisable: ["msie6"] },
    request: {
      headers: [AE_GZIP, ["user-agent", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"]],
    },
    encoding: null,
    vary: true,
  },
  {
    name: "gzip_disable regex, brotli too",
    location: { ...BOTH, gzipVary: true, gzipDisable: [/badbot/i] },
    request: { headers: [AE_BOTH, ["user-agent", "BadBot/1"]] },
    encoding: null,
    vary: true,
  },
  // A Range that reaches this filter was not answered by the range filter (which runs first and
  // makes the 206 of a range it can serve): the 200 is compressed, as nginx compresses it.
  {
    name: "Range left as a 200",
    location: VARY,
    request: { headers: [AE_GZIP, ["range", "bytes=0-9"]] },
    encoding: "gzip",
    vary: true,
  },
  {
    name: "Range without Accept-Ranges (a return text)",
    location: VARY,
    request: { headers: [AE_GZIP, ["range", "bytes=0-9"]] },
    response: () => ({ status: 200, headers: [["Content-Type", "text/html"]], body: TEXT }),
    encoding: "gzip",
    vary: true,
  },
  // gzip_vary off: never a Vary.
  {
    name: "gzip_vary off, compressed",
    location: GZIP,
    request: { headers: [AE_GZIP] },
    encoding: "gzip",
    vary: false,
  },
  {
    name: "gzip_vary off, not accepted",
    location: GZIP,
    encoding: null,
    vary: false,
  },
];

Deno.test("HEAD gets the fields its GET would get (as nginx's), and no body", async () => {
  const out = await compressionFilter(
    context(VARY, { headers: [AE_GZIP], method: "HEAD" }),
    file(),
  );
  assert.equal(header(out, "Content-Encoding"), "gzip");
  assert.equal(header(out, "Vary"), "Accept-Encoding");
  assert.equal(header(out, "Content-Length"), undefined);
  assert.deepEqual(await bytesOf(out.body), new Uint8Array(0));
});

Deno.test("the compression filter compresses what nginx's rules allow, and says Vary", async () => {
  for (const row of ROWS) {
    const res = row.response?.() ?? file();
    const original = decode(header(res, "Content-Encoding"), await bytesOf(res.body));
    const again = row.response?.() ?? file();
    const out = await compressionFilter(context(row.location, row.request), again);
    if (row.untouched) assert.equal(out, again, `${row.name}: the response itself`);
    const got = await outcome(out, original);
    assert.equal(got.encoding, row.encoding, `${row.name}: coding`);
    if (row.vary !== undefined) {
      assert.equal(got.vary, row.vary ? "Accept-Encoding" : null, `${row.name}: Vary`);
    }
    if (row.encoding === null || row.untouched) {
      // Identity: the response's own fields, no more (but Vary).
      const expected = again.headers.filter(([n]) => n !== "Vary");
      assert.deepEqual(out.headers.filter(([n]) => n !== "Vary"), expected, `${row.name}`);
      assert.equal(out.status, again.status);
    }
  }
});

Deno.test("a compressed answer: no length, no ranges, a weak ETag, its coding", async () => {
  const res = file("text/html", TEXT, [["X-Custom", "kept"]]);
  const out = await compressionFilter(context(VARY, { headers: [AE_GZIP] }), res);
  assert.equal(out.status, 200);
  assert.deepEqual(out.headers, [
    ["Content-Type", "text/html"],
    ["Last-Modified", MODIFIED],
    ["ETag", `W/${ETAG}`],
    ["X-Custom", "kept"],
    ["Vary", "Accept-Encoding"],
    ["Content-Encoding", "gzip"],
  ]);
  // The handler's shared, frozen list is untouched.
  assert.equal(res.headers.length, 6);
  assert.equal(header(res, "ETag"), ETAG);
  // A weak ETag stays as it is.
  const weak = file("text/html", TEXT).headers.map(([n, v]): [string, string] =>
    n === "ETag" ? [n, `W/${v}`] : [n, v]
  );
  const out2 = await compressionFilter(context(GZIP, { headers: [AE_GZIP] }), {
    status: 200,
    headers: weak,
    body: TEXT,
  });
  assert.equal(header(out2, "ETag"), `W/${ETAG}`);
});

Deno.test("the level of each coding is the configured one", async () => {
  for (
    const [location, accept, encoding, level] of [
      [{ gzip: true, gzipCompLevel: 1 }, "gzip", "gzip", 1],
      [{ gzip: true, gzipCompLevel: 9 }, "gzip", "gzip", 9],
      [{ brotli: true, brotliCompLevel: 0 }, "br", "br", 0],
      [{ brotli: true, brotliCompLevel: 11 }, "br", "br", 11],
    ] as const
  ) {
    const services = await testServices();
    const out = await compressionFilter(
      context(location, { headers: [["accept-encoding", accept]], services }),
      file(),
    );
    assert.equal(header(out, "Content-Encoding"), encoding);
    assert.deepEqual(out.body, await compressBytes(TEXT, encoding, level), `${encoding} ${level}`);
  }
});

Deno.test("a body in memory is compressed once: the same bytes for every request", async () => {
  const services = await testServices();
  const ask = (location: Partial<LocationConfig>, accept: string) =>
    compressionFilter(
      context(location, { headers: [["accept-encoding", accept]], services }),
      file(),
    );
  const first = await ask(GZIP, "gzip");
  const second = await ask(GZIP, "gzip");
  assert.ok(first.body instanceof Uint8Array);
  assert.equal(second.body, first.body, "the same compressed bytes");
  // Another level, another coding: other entries.
  const level9 = await ask({ gzip: true, gzipCompLevel: 9 }, "gzip");
  const br = await ask(BOTH, "br");
  assert.notEqual(level9.body, first.body);
  assert.notEqual(br.body, first.body);
  assert.deepEqual(decode("gzip", level9.body as Uint8Array), TEXT);
  assert.deepEqual(decode("br", br.body as Uint8Array), TEXT);
  // A copy of the bytes is another body (the cache keys on the array: a file version).
  const copy = await compressionFilter(
    context(GZIP, { headers: [AE_GZIP], services }),
    file("text/html", TEXT.slice()),
  );
  assert.notEqual(copy.body, first.body);
  assert.deepEqual(copy.body, first.body);
});

Deno.test("an empty body, no body, a tunnel: left as they are", async () => {
  const tunnel: Body = { kind: "tunnel", run: () => Promise.resolve(), close: () => {} };
  for (const body of [new Uint8Array(0), null, tunnel]) {
    const res: Response = { status: 200, headers: [["Content-Type", "text/html"]], body };
    const out = await compressionFilter(context(VARY, { headers: [AE_GZIP] }), res);
    assert.equal(out, res);
  }
});

/** A file of `size` bytes of text in a temp dir, opened, with its bytes. */
async function tempFile(
  size: number,
): Promise<{ file: Deno.FsFile; bytes: Uint8Array; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "compression_filter_test_" });
  const lines: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const line = `line ${i}: ${(i * 2654435761) % 4294967296}\n`;
    lines.push(line);
    n += line.length;
  }
  const bytes = encoder.encode(lines.join("")).subarray(0, size);
  await Deno.writeFile(join(dir, "big.html"), bytes);
  return { file: await Deno.open(join(dir, "big.html")), bytes, dir };
}

Deno.test("a file range is compressed as a stream, and its file closed", async () => {
  const { file: f, bytes, dir } = await tempFile(300 * 1024);
  f.close();
  try {
    for (const encoding of ["gzip", "br"] as const) {
      const location = encoding === "gzip" ? GZIP : { brotli: true };
      // The whole file (several pieces of 64 KiB), then a range from an offset.
      for (const [start, length] of [[0, bytes.length], [1000, 100_000]] as const) {
        const opened = await Deno.open(join(dir, "big.html"));
        const res: Response = {
          status: 200,
          headers: [["Content-Type", "text/html"], ["Content-Length", String(length)]],
          body: { kind: "file", file: opened, start, length },
        };
        const out = await compressionFilter(
          context(location, { headers: [["accept-encoding", encoding]] }),
          res,
        );
        assert.equal(header(out, "Content-Length"), undefined);
        assert.ok(out.body !== null && !(out.body instanceof Uint8Array));
        assert.equal(out.body.kind, "stream");
        const got = await outcome(out, bytes.subarray(start, start + length));
        assert.deepEqual(got, { encoding, vary: null }, `${encoding} from ${start}`);
        // bytesOf called the stream's close: the file is closed.
        assert.throws(() => opened.close(), Deno.errors.BadResource);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stream is compressed; its close is kept; only a declared length counts", async () => {
  const pieces = [TEXT.subarray(0, 100), TEXT.subarray(100, 2000), TEXT.subarray(2000)];
  let closed = 0;
  const stream = (declared: string | null): Response => ({
    status: 200,
    headers: declared === null
      ? [["Content-Type", "text/html"]]
      : [["Content-Type", "text/html"], ["Content-Length", declared]],
    body: {
      kind: "stream",
      chunks: (async function* () {
        for (const piece of pieces) yield piece;
      })(),
      close: () => closed++,
    },
  });
  const location = { gzip: true, gzipMinLength: 100_000 };
  // Unknown length: compressed whatever gzip_min_length says (as nginx).
  const unknown = await compressionFilter(context(location, { headers: [AE_GZIP] }), stream(null));
  assert.deepEqual(await outcome(unknown, TEXT), { encoding: "gzip", vary: null });
  assert.equal(closed, 1, "the source's close runs when the compressed stream is closed");
  // A declared length shorter than gzip_min_length: left as it is.
  const short = stream(String(TEXT.length));
  assert.equal(await compressionFilter(context(location, { headers: [AE_GZIP] }), short), short);
  closeBody(short.body);
});

/** The whole filter chain on a file's 200 (not-modified, headers, range, then compression). */
function filtered(location: Partial<LocationConfig>, headers: [string, string][]) {
  return applyFilters(context(location, { headers }), file(), PIPELINE);
}

Deno.test("with the other filters: a Range the file answers gets a 206 of its bytes", async () => {
  const partial = await filtered(VARY, [AE_GZIP, ["range", "bytes=0-9"]]);
  assert.equal(partial.status, 206);
  assert.equal(header(partial, "Content-Encoding"), undefined);
  assert.deepEqual(await bytesOf(partial.body), TEXT.subarray(0, 10));
  // A 304 is not compressed, and says no coding.
  const notModified = await filtered(VARY, [AE_GZIP, ["if-none-match", ETAG]]);
  assert.equal(notModified.status, 304);
  assert.equal(header(notModified, "Content-Encoding"), undefined);
  // The weak tag of a compressed answer matches for If-None-Match too.
  const weak = await filtered(VARY, [AE_GZIP, ["if-none-match", `W/${ETAG}`]]);
  assert.equal(weak.status, 304);
  // Without a Range, the whole chain compresses.
  const whole = await filtered(VARY, [AE_GZIP]);
  assert.deepEqual(await outcome(whole, TEXT), { encoding: "gzip", vary: "Accept-Encoding" });
});

Deno.test("with the other filters: a Range the file does not answer is compressed (nginx)", async () => {
  // The range filter answers these with the whole 200; nginx's gzip filter compresses it (it
  // ignores every Range). webserv's compression filter sees a Range header and Accept-Ranges and
  // keeps identity (lib/filters/compression.ts, `ranged`), although no 206 came of it.
  const wrong: string[] = [];
  for (
    const [name, extra] of [
      ["a malformed Range", [["range", "bytes=x-y"]]],
      ["a Range of another unit", [["range", "items=0-9"]]],
      ["a stale If-Range", [["range", "bytes=0-9"], ["if-range", '"stale"']]],
    ] as [string, [string, string][]][]
  ) {
    const out = await filtered(VARY, [AE_GZIP, ...extra]);
    assert.equal(out.status, 200, name);
    const got = await outcome(out, TEXT);
    if (got.encoding !== "gzip") wrong.push(`${name}: ${got.encoding ?? "identity"}`);
  }
  assert.deepEqual(wrong, [], "whole 200s to a gzip client left uncompressed");
});
