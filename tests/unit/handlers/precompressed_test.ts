/**
 * gzip_static and brotli_static (lib/handlers/precompressed.ts, served by lib/handlers/static.ts):
 * which twin is chosen (br over gz when both are acceptable and on disk, the client's weights
 * first, `always` without Accept-Encoding, `on` refused by `gzip;q=0`, the request checks), a
 * missing twin falling back to the file, and the twin's answer (the original's type, its coding,
 * its own length and validators, Vary with gzip_vary), then where it differs from nginx's
 * ngx_http_gzip_static_module.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import type { LocationConfig } from "../../../lib/config/types.ts";
import { FileCache } from "../../../lib/files/file_cache.ts";
import { precompressed } from "../../../lib/handlers/precompressed.ts";
import { staticHandler } from "../../../lib/handlers/static.ts";
import { type Body, type Response, responseHeader } from "../../../lib/http/response.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { applyFilters } from "../../../lib/phases/engine.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import { testContext, testHead, testLocation } from "../_fixtures.ts";

const encoder = new TextEncoder();

function css(rules: number, tag: string): Uint8Array {
  let text = `/* ${tag} */\n`;
  for (let i = 0; i < rules; i++) text += `.${tag}-${i} {\n  margin: ${i}px;\n  color: #333;\n}\n`;
  return encoder.encode(text);
}

/** Text that compresses little: its .gz is bigger than the file cache keeps (64 KiB). */
function noisy(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    // xorshift32.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = 48 + ((x >>> 0) % 64);
  }
  return bytes;
}

/**
 * The site: a.css with both twins, b.css with .gz only, d.css with .br only, c.css with none,
 * only.css.gz without only.css, page.html with .gz, big.css whose .gz is streamed.
 */
const FILES: Record<string, Uint8Array> = {
  "a.css": css(40, "a"),
  "b.css": css(30, "b"),
  "c.css": css(20, "c"),
  "d.css": css(25, "d"),
  "page.html": encoder.encode("<p>A page with a twin.</p>\n".repeat(30)),
  "big.css": noisy(200 * 1024),
};
const ONLY = css(10, "only");

async function makeSite(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "precompressed_test_" });
  for (const [name, bytes] of Object.entries(FILES)) await Deno.writeFile(join(root, name), bytes);
  for (const name of ["a.css", "b.css", "page.html", "big.css"]) {
    await Deno.writeFile(join(root, `${name}.gz`), gzipSync(FILES[name]!));
  }
  for (const name of ["a.css", "d.css"]) {
    await Deno.writeFile(join(root, `${name}.br`), brotliCompressSync(FILES[name]!));
  }
  await Deno.writeFile(join(root, "only.css.gz"), gzipSync(ONLY));
  return root;
}

/** The site, made once for the file (read only by every test). */
const ROOT = await makeSite();
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

interface Request {
  headers?: [string, string][];
  method?: string;
  minor?: number;
}

function context(
  name: string,
  location: Partial<LocationConfig>,
  request: Request = {},
): RequestContext {
  const head = testHead({
    method: request.method ?? "GET",
    target: `/${name}`,
    minor: request.minor ?? 1,
    headers: [["host", "localhost"], ...request.headers ?? []],
  });
  return testContext({ head, location: testLocation({ root: ROOT, ...location }) });
}

const ae = (value: string): [string, string] => ["accept-encoding", value];
const ON = { gzipStatic: "on", brotliStatic: "on" } as const;

/** [name, file, location, request, the twin's coding or null for the file itself] */
const CHOICES: [string, string, Partial<LocationConfig>, Request, "br" | "gzip" | null][] = [
  ["both on, both taken: br", "a.css", ON, { headers: [ae("gzip, deflate, br")] }, "br"],
  ["both on, br first in the list", "a.css", ON, { headers: [ae("br, gzip")] }, "br"],
  ["both on, br weighed lower", "a.css", ON, { headers: [ae("br;q=0.5, gzip")] }, "gzip"],
  ["both on, gzip only", "a.css", ON, { headers: [ae("gzip")] }, "gzip"],
  ["both on, br only", "a.css", ON, { headers: [ae("br")] }, "br"],
  ["both on, br refused", "a.css", ON, { headers: [ae("br;q=0, *")] }, "gzip"],
  ["both on, .gz only on disk", "b.css", ON, { headers: [ae("gzip, br")] }, "gzip"],
  ["both on, .gz only on disk, br only taken", "b.css", ON, { headers: [ae("br")] }, null],
  ["both on, .br only on disk, gzip only taken", "d.css", ON, { headers: [ae("gzip")] }, null],
  ["both on, .br only on disk", "d.css", ON, { headers: [ae("gzip, br")] }, "br"],
  ["both on, no twin", "c.css", ON, { headers: [ae("gzip, br")] }, null],
  ["gzip_static only", "a.css", { gzipStatic: "on" }, { headers: [ae("gzip, br")] }, "gzip"],
  ["brotli_static only", "a.css", { brotliStatic: "on" }, { headers: [ae("gzip, br")] }, "br"],
  [
    "brotli_static only, gzip taken",
    "a.css",
    { brotliStatic: "on" },
    { headers: [ae("gzip")] },
    null,
  ],
  ["both off", "a.css", {}, { headers: [ae("gzip, br")] }, null],
  ["on, no Accept-Encoding", "a.css", ON, {}, null],
  ["on, gzip;q=0", "a.css", { gzipStatic: "on" }, { headers: [ae("gzip;q=0")] }, null],
  ["on, identity", "a.css", ON, { headers: [ae("identity")] }, null],
  ["gzip always, no Accept-Encoding", "a.css", { gzipStatic: "always" }, {}, "gzip"],
  [
    "gzip always, gzip;q=0",
    "a.css",
    { gzipStatic: "always" },
    { headers: [ae("gzip;q=0")] },
    "gzip",
  ],
  [
    "both always, no Accept-Encoding: br",
    "a.css",
    { gzipStatic: "always", brotliStatic: "always" },
    {},
    "br",
  ],
  [
    "br on, gzip always, nothing taken",
    "a.css",
    { gzipStatic: "always", brotliStatic: "on" },
    {},
    "gzip",
  ],
  ["br on, gzip always, br taken", "a.css", { gzipStatic: "always", brotliStatic: "on" }, {
    headers: [ae("br")],
  }, "br"],
  [
    "br always, gzip on, gzip taken: the client's first",
    "a.css",
    {
      gzipStatic: "on",
      brotliStatic: "always",
    },
    { headers: [ae("gzip")] },
    "gzip",
  ],
  ["always, twin missing", "c.css", { gzipStatic: "always", brotliStatic: "always" }, {}, null],
  [
    "always, .gz missing, .br there",
    "d.css",
    { gzipStatic: "always", brotliStatic: "always" },
    {},
    "br",
  ],
  // The request checks of ngx_http_gzip_ok apply to `on`, not to `always`.
  [
    "on, Via (gzip_proxied off)",
    "a.css",
    ON,
    { headers: [ae("gzip, br"), ["via", "1.1 p"]] },
    null,
  ],
  [
    "always, Via",
    "a.css",
    { gzipStatic: "always" },
    { headers: [ae("gzip"), ["via", "1.1 p"]] },
    "gzip",
  ],
  ["on, Via, gzip_proxied any", "a.css", { ...ON, gzipProxied: ["any"] }, {
    headers: [ae("gzip"), ["via", "1.1 p"]],
  }, "gzip"],
  ["on, HTTP/1.0", "a.css", ON, { headers: [ae("gzip, br")], minor: 0 }, null],
  ["on, HTTP/1.0 under gzip_http_version 1.0", "a.css", { ...ON, gzipHttpVersion: "1.0" }, {
    headers: [ae("gzip")],
    minor: 0,
  }, "gzip"],
  ["always, HTTP/1.0", "a.css", { gzipStatic: "always" }, { minor: 0 }, "gzip"],
  ["on, gzip_disable msie6", "a.css", { ...ON, gzipDisable: ["msie6"] }, {
    headers: [ae("gzip"), ["user-agent", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"]],
  }, null],
];

Deno.test("the twin chosen: the client's best coding on disk, then what is always served", async () => {
  for (const [name, file, location, request, expected] of CHOICES) {
    const cache = new FileCache();
    const ctx = context(file, location, request);
    const { twin } = await precompressed(ctx, join(ROOT, file), cache);
    assert.equal(twin?.encoding ?? null, expected, name);
    if (twin !== null) {
      assert.equal(twin.path, join(ROOT, file) + (twin.encoding === "br" ? ".br" : ".gz"), name);
      assert.equal(twin.entry.kind, "file");
    }
  }
});

/** The static handler with a cache of its own, its answer through the response filters. */
async function serve(ctx: RequestContext): Promise<Response> {
  const own = { ...ctx, services: { ...ctx.services, files: new FileCache() } };
  const res = await staticHandler(own);
  assert.ok(res !== null, "the static handler declined");
  return await applyFilters(own, res, PIPELINE);
}

function header(res: Response, name: string): string | undefined {
  return responseHeader(res, name.toLowerCase());
}

/** The body's bytes (a file range read, its file closed). */
async function bytesOf(body: Body): Promise<Uint8Array | null> {
  if (body === null || body instanceof Uint8Array) return body;
  assert.equal(body.kind, "file");
  if (body.kind !== "file") return null;
  try {
    await body.file.seek(body.start, Deno.SeekMode.Start);
    const out = new Uint8Array(body.length);
    for (let at = 0; at < out.length;) {
      const n = await body.file.read(out.subarray(at));
      if (n === null) break;
      at += n;
    }
    return out;
  } finally {
    body.file.close();
  }
}

/** The Content-Type without its parameters (the fixture's defaults add a charset). */
function mediaType(res: Response): string | undefined {
  return header(res, "Content-Type")?.split(";", 1)[0];
}

function decode(encoding: string | undefined, bytes: Uint8Array): Uint8Array {
  if (encoding === "gzip") return new Uint8Array(gunzipSync(bytes));
  if (encoding === "br") return new Uint8Array(brotliDecompressSync(bytes));
  return bytes;
}

Deno.test("a twin's answer: the original's type, its coding, its own length and ETag", async () => {
  const table: [string, Partial<LocationConfig>, string, "br" | "gzip", string][] = [
    ["a.css", ON, "gzip, br", "br", "text/css"],
    ["a.css", ON, "gzip", "gzip", "text/css"],
    ["page.html", { gzipStatic: "on" }, "gzip", "gzip", "text/html"],
    ["big.css", { gzipStatic: "always" }, "", "gzip", "text/css"],
  ];
  for (const [file, location, accept, encoding, type] of table) {
    const headers: [string, string][] = accept === "" ? [] : [ae(accept)];
    const res = await serve(context(file, location, { headers }));
    const twinPath = join(ROOT, `${file}${encoding === "br" ? ".br" : ".gz"}`);
    const twin = await Deno.readFile(twinPath);
    assert.equal(res.status, 200, file);
    assert.equal(mediaType(res), type, `${file}: the original's type`);
    assert.equal(header(res, "Content-Encoding"), encoding, file);
    assert.equal(
      res.headers.filter(([n]) => n.toLowerCase() === "content-encoding").length,
      1,
      `${file}: one Content-Encoding`,
    );
    assert.equal(header(res, "Content-Length"), String(twin.length), `${file}: the twin's length`);
    assert.equal(header(res, "Vary"), undefined, `${file}: no Vary under gzip_vary off`);
    const body = await bytesOf(res.body);
    assert.deepEqual(body, twin, `${file}: the twin's bytes`);
    assert.deepEqual(decode(encoding, body!), FILES[file], `${file}: decodes to the original`);
    // The twin's own validators: a strong ETag, not the original's.
    const plain = await serve(context(file, {}, {}));
    await bytesOf(plain.body);
    const etag = header(res, "ETag");
    assert.ok(etag !== undefined && !etag.startsWith("W/"), `${file}: a strong ETag`);
    assert.notEqual(etag, header(plain, "ETag"), `${file}: the twin's ETag`);
    assert.ok(header(res, "Last-Modified") !== undefined);
  }
  // The big twin is streamed from its file.
  const bigCtx = context("big.css", { gzipStatic: "always" });
  const big = await staticHandler({
    ...bigCtx,
    services: { ...bigCtx.services, files: new FileCache() },
  });
  assert.ok(big !== null && big.body !== null && !(big.body instanceof Uint8Array));
  assert.equal(big.body.kind, "file");
  await bytesOf(big.body);
});

Deno.test("a twin's answer: Vary with gzip_vary; the file itself when there is no twin", async () => {
  const vary = await serve(context("a.css", { ...ON, gzipVary: true }, { headers: [ae("br")] }));
  assert.equal(header(vary, "Content-Encoding"), "br");
  assert.equal(header(vary, "Vary"), "Accept-Encoding");
  // No twin: the file, as the static handler serves it.
  for (const location of [ON, { gzipStatic: "always", brotliStatic: "always" }] as const) {
    const res = await serve(context("c.css", location, { headers: [ae("gzip, br")] }));
    assert.equal(header(res, "Content-Encoding"), undefined);
    assert.equal(mediaType(res), "text/css");
    assert.deepEqual(await bytesOf(res.body), FILES["c.css"]);
  }
  // Not taken (`on`): the file.
  const refused = await serve(
    context("a.css", { gzipStatic: "on" }, { headers: [ae("gzip;q=0")] }),
  );
  assert.equal(header(refused, "Content-Encoding"), undefined);
  assert.deepEqual(await bytesOf(refused.body), FILES["a.css"]);
  // gzip on as well: the filter leaves the twin alone (it has its coding).
  const both = await serve(
    context("a.css", { gzipStatic: "on", gzip: true, gzipTypes: ["text/html", "text/css"] }, {
      headers: [ae("gzip")],
    }),
  );
  assert.equal(header(both, "Content-Encoding"), "gzip");
  assert.deepEqual(await bytesOf(both.body), await Deno.readFile(join(ROOT, "a.css.gz")));
  // No twin, gzip on: compressed on the fly.
  const fly = await serve(
    context("c.css", { gzipStatic: "on", gzip: true, gzipTypes: ["text/html", "text/css"] }, {
      headers: [ae("gzip")],
    }),
  );
  assert.equal(header(fly, "Content-Encoding"), "gzip");
  assert.deepEqual(decode("gzip", (await bytesOf(fly.body))!), FILES["c.css"]);
  // HEAD: the twin's headers, no body.
  const head = await serve(context("a.css", ON, { headers: [ae("gzip")], method: "HEAD" }));
  assert.equal(header(head, "Content-Encoding"), "gzip");
  const gz = await Deno.readFile(join(ROOT, "a.css.gz"));
  assert.equal(header(head, "Content-Length"), String(gz.length));
});

Deno.test("a twin's answer as nginx's gzip_static gives it", async () => {
  const wrong: string[] = [];
  const check = (what: string, got: unknown, nginx: unknown) => {
    if (got !== nginx) wrong.push(`${what}: ${String(got)} (nginx: ${String(nginx)})`);
  };
  // `on` with gzip_vary: nginx sets r->gzip_vary once the twin is found, taken or not.
  const notTaken = await serve(context("a.css", { gzipStatic: "on", gzipVary: true }));
  await bytesOf(notTaken.body);
  check("on, twin on disk, not taken: Vary", header(notTaken, "Vary"), "Accept-Encoding");
  // `always` never asks ngx_http_gzip_ok and sets no r->gzip_vary: no Vary.
  const always = await serve(
    context("a.css", { gzipStatic: "always", gzipVary: true }, { headers: [ae("gzip")] }),
  );
  await bytesOf(always.body);
  check("always: Vary", header(always, "Vary"), undefined);
  // The twin's answer allows no ranges (ngx_http_gzip_static_handler sets no allow_ranges).
  const twin = await serve(context("a.css", { gzipStatic: "on" }, { headers: [ae("gzip")] }));
  await bytesOf(twin.body);
  check("twin: Accept-Ranges", header(twin, "Accept-Ranges"), undefined);
  const ranged = await serve(
    context("a.css", { gzipStatic: "on" }, { headers: [ae("gzip"), ["range", "bytes=0-9"]] }),
  );
  await bytesOf(ranged.body);
  check("twin with Range: status", ranged.status, 200);
  // A .gz without its file is served all the same (nginx opens the .gz alone).
  const only = await serve(context("only.css", { gzipStatic: "on" }, { headers: [ae("gzip")] }));
  const onlyBody = await bytesOf(only.body);
  check("only.css.gz: status", only.status, 200);
  check("only.css.gz: Content-Encoding", header(only, "Content-Encoding"), "gzip");
  if (only.status === 200 && onlyBody !== null) {
    assert.deepEqual(decode("gzip", onlyBody), ONLY);
  }
  // A 304 of the twin says no coding: nginx's not-modified filter clears Content-Encoding.
  const etag = header(twin, "ETag")!;
  const notModified = await serve(
    context("a.css", { gzipStatic: "on" }, { headers: [ae("gzip"), ["if-none-match", etag]] }),
  );
  check("twin's 304: status", notModified.status, 304);
  check("twin's 304: Content-Encoding", header(notModified, "Content-Encoding"), undefined);
  assert.deepEqual(wrong, [], "answers unlike ngx_http_gzip_static_module's");
});
