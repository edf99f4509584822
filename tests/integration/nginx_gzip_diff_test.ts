/**
 * Differential test of on-the-fly gzip and gzip_static against nginx's: the same raw requests to
 * webserv and nginx running the same server block (tests/testdata/diff_gzip/servers.conf; only
 * `listen` differs), comparing headers, not compressed bytes (zlib versions and buffer sizes make
 * those differ): the status, Content-Encoding, Vary, how the body is framed (Content-Length,
 * chunked, or until the connection closes), whether the ETag is weak or strong, whether
 * Accept-Ranges is sent, Content-Type, and what the body decodes to (a compressed body must
 * gunzip to the original bytes, an identity one must be them). Every answer must agree except the
 * KNOWN differences, which must still differ so the table stays honest. Brotli is not in this
 * nginx: it is tested on webserv alone (tests/unit/filters/compression_test.ts and
 * tests/unit/handlers/precompressed_test.ts). DIFF_VERBOSE=1 prints what was compared for every
 * request.
 *
 * nginx is started as in nginx_directives_diff_test.ts: a small python3 launcher binds
 * 127.0.0.1:0, keeps the socket open and execs nginx (a master and one worker) with the socket
 * inherited through the `NGINX` environment variable; nginx's `listen` names that port. A
 * response that already has a Content-Encoding comes from the test's own upstream (node:net on
 * 127.0.0.1:0) through proxy_pass: nginx's add_header cannot make one the gzip filter sees.
 */
import { differences, type Nginx, NGINX_MISSING, startNginx as startNginxFrom } from "./_nginx.ts";
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { loadConfig } from "../../lib/config/load.ts";
import { type RunningServer, startServer } from "../../lib/server/listener.ts";

const DATA = join(import.meta.dirname ?? ".", "..", "testdata", "diff_gzip");
const DEADLINE_MS = 5000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// The site: tests/testdata/diff_gzip/site/ copied into the root and into each location's
// directory, plus generated files whose lengths or bytes matter.

/** The location directories of servers.conf that serve files ("" is the root's). */
const DIRS = [
  "",
  "types",
  "all",
  "charset",
  "minlen",
  "vary",
  "px-off",
  "px-any",
  "px-expired",
  "px-expired-past",
  "px-expired-future",
  "px-no_etag",
  "px-no_etag-off",
  "px-no_last_modified",
  "px-auth",
  "px-no-cache",
  "px-no-cache-none",
  "px-no-cache-public",
  "dis",
  "dis-empty",
  "v10",
  "static-on",
  "static-on-vary",
  "static-always",
];

/** An HTML file of exactly `length` bytes. */
function ofLength(length: number): Uint8Array {
  const frame = "<p></p>\n";
  return encoder.encode(`<p>${"x".repeat(length - frame.length)}</p>\n`);
}

/** 200 KiB of text that compresses well but not to nothing: streamed (over the 64 KiB cache). */
function bigHtml(): Uint8Array {
  const lines: string[] = ["<!DOCTYPE html>\n<html><body>\n"];
  let size = lines[0]!.length;
  for (let i = 0; size < 200 * 1024; i++) {
    const line = `<p id="p${i}">Paragraph ${i}, ${(i * 7919) % 10007} of a big page.</p>\n`;
    lines.push(line);
    size += line.length;
  }
  lines.push("</body></html>\n");
  return encoder.encode(lines.join(""));
}

/** The bytes of a PNG's signature and header, and more: image/png by its name. */
function png(): Uint8Array {
  const bytes = new Uint8Array(120);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  for (let i = 16; i < bytes.length; i++) bytes[i] = (i * 37) % 256;
  return bytes;
}

const ONLY_CSS = encoder.encode(
  "/* only.css.gz is on disk, only.css is not */\n" + "em {\n  font-style: italic;\n}\n".repeat(6),
);
/** The text of servers.conf's `location = /ret.html`. */
const RET_TEXT = "A return text long enough to be compressed: twenty bytes and more.\n";

/** The files of every directory, by name (what a compressed or identity body must be). */
async function siteFiles(): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const site = join(DATA, "site");
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(join(site, dir))) {
      const name = prefix + entry.name;
      if (entry.isDirectory) await walk(join(dir, entry.name), `${name}/`);
      else files.set(name, await Deno.readFile(join(site, dir, entry.name)));
    }
  };
  await walk("", "");
  for (const n of [19, 20, 99, 100]) files.set(`len${n}.html`, ofLength(n));
  files.set("big.html", bigHtml());
  files.set("logo.png", png());
  files.set("twin.css.gz", gzipSync(files.get("twin.css")!));
  files.set("only.css.gz", gzipSync(ONLY_CSS));
  return files;
}

async function buildSite(root: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const dir of DIRS) {
    for (const [name, bytes] of files) {
      const path = join(root, dir, name);
      await Deno.mkdir(join(path, ".."), { recursive: true });
      await Deno.writeFile(path, bytes);
    }
  }
}

/**
 * What a body must decode to for a path: a file of the site, a `return` text, an upstream's, the
 * page of /vary/'s error_page 404; null for the servers' own pages (errors, redirects).
 */
function originalOf(files: Map<string, Uint8Array>, path: string): Uint8Array | null {
  const bare = path.split("?", 1)[0]!;
  if (bare === "/ret.html") return encoder.encode(RET_TEXT);
  if (bare === "/ret-short.html") return encoder.encode("short");
  if (bare.startsWith("/proxy/")) return UPSTREAM[bare.slice("/proxy".length)]?.body ?? null;
  const name = bare.replace(/^\/([a-z0-9_-]+\/)?/, "");
  if (name === "only.css") return ONLY_CSS;
  if (name === "missing.html") return bare.startsWith("/vary/") ? files.get("404.html")! : null;
  return files.get(name === "" ? "index.html" : name) ?? null;
}

// ---------------------------------------------------------------------------------------------
// The test's upstream: fixed answers, then it closes the connection.

interface Canned {
  /** Header fields besides Content-Length and Connection. */
  head: string[];
  body: Uint8Array;
  /** The bytes sent, when they are not `body` (an encoded body). */
  sent?: Uint8Array;
  /** Send no Content-Length: the body ends when the connection closes. */
  unknownLength?: boolean;
}

const PLAIN = encoder.encode(
  "<html><body>\n" + "<p>A proxied page, compressed on its way through.</p>\n".repeat(40) +
    "</body></html>\n",
);
const ENCODED = encoder.encode(
  "<html><body>\n" + "<p>Gzipped by the upstream: passed on as it is.</p>\n".repeat(40) +
    "</body></html>\n",
);
const TINY = encoder.encode("0123456789");

const UPSTREAM: Record<string, Canned> = {
  "/enc": {
    head: ["Content-Type: text/html", "Content-Encoding: gzip"],
    body: ENCODED,
    sent: gzipSync(ENCODED),
  },
  "/plain": { head: ["Content-Type: text/html"], body: PLAIN },
  "/tiny-known": { head: ["Content-Type: text/html"], body: TINY },
  "/tiny-unknown": { head: ["Content-Type: text/html"], body: TINY, unknownLength: true },
};

interface Upstream {
  port: number;
  close(): Promise<void>;
}

function startUpstream(): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head = "";
    socket.on("data", (chunk: Uint8Array) => {
      if (head.includes("\r\n\r\n")) return;
      head += decoder.decode(chunk);
      if (!head.includes("\r\n\r\n")) return;
      const path = head.split(" ", 2)[1] ?? "";
      const canned = UPSTREAM[path];
      if (canned === undefined) {
        socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      const sent = canned.sent ?? canned.body;
      const lines = ["HTTP/1.1 200 OK", ...canned.head];
      if (!canned.unknownLength) lines.push(`Content-Length: ${sent.length}`);
      lines.push("Connection: close", "", "");
      socket.write(lines.join("\r\n"));
      socket.end(sent);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The requests.

/** The ETag a server gives `path` for a GET with `headers` (fetched once per server and key). */
type Lookup = (path: string, headers: string[]) => Promise<string>;

interface Case {
  /** Unique; also the key of KNOWN. */
  name: string;
  /** The request's path (for the body it must decode to), and the request itself. */
  path: string;
  request: string | ((lookup: Lookup) => Promise<string>);
  /** A HEAD: no body follows the response head. */
  head?: boolean;
  /**
   * The body is streamed by both servers (a big file, a proxied response): a compressed one is
   * chunked (or close-delimited on HTTP/1.0) by both; see MEMORY_FRAMING for the others.
   */
  streamed?: boolean;
}

const GZ = "Accept-Encoding: gzip";
const ae = (value: string) => `Accept-Encoding: ${value}`;
const VIA = "Via: 1.1 cache.example";

/** A request line plus Host and Connection: close, then `headers`. */
function req(method: string, target: string, headers: string[] = [], version = "1.1"): string {
  return [
    `${method} ${target} HTTP/${version}`,
    "Host: localhost",
    "Connection: close",
    ...headers,
    "",
    "",
  ].join("\r\n");
}

const get = (path: string, headers: string[] = []) => ({
  path,
  request: req("GET", path, headers),
});
const head = (path: string, headers: string[] = []) => ({
  path,
  request: req("HEAD", path, headers),
  head: true,
});
const http10 = (path: string, headers: string[] = []) => ({
  path,
  request: req("GET", path, headers, "1.0"),
});
/**
 * A GET of `path` with `headers` plus If-None-Match with the ETag the server gives a GET of the
 * same path with `asked` (the strong tag of the identity answer, or the weak one of the gzipped).
 */
function ifNoneMatch(path: string, headers: string[], asked: string[]) {
  return {
    path,
    request: async (lookup: Lookup) =>
      req("GET", path, [...headers, `If-None-Match: ${await lookup(path, asked)}`]),
  };
}

const MSIE6 = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)";

const CASES: Case[] = [
  // Accept-Encoding, on a text/html file in location / (gzip on, the defaults otherwise).
  { name: "AE gzip", ...get("/page.html", [GZ]) },
  { name: "AE gzip;q=0", ...get("/page.html", [ae("gzip;q=0")]) },
  { name: "AE *", ...get("/page.html", [ae("*")]) },
  { name: "AE *;q=0", ...get("/page.html", [ae("*;q=0")]) },
  { name: "AE identity", ...get("/page.html", [ae("identity")]) },
  { name: "AE identity;q=0", ...get("/page.html", [ae("identity;q=0")]) },
  { name: "no AE", ...get("/page.html") },
  { name: "AE deflate", ...get("/page.html", [ae("deflate")]) },
  { name: "AE GZIP", ...get("/page.html", [ae("GZIP")]) },
  { name: "AE x-gzip", ...get("/page.html", [ae("x-gzip")]) },
  { name: "AE deflate, gzip", ...get("/page.html", [ae("deflate, gzip")]) },
  { name: "AE gzip;q=0.5", ...get("/page.html", [ae("gzip;q=0.5")]) },
  { name: "AE gzip; q=0.000", ...get("/page.html", [ae("gzip; q=0.000")]) },
  { name: "AE gzip;q=1.5 (malformed)", ...get("/page.html", [ae("gzip;q=1.5")]) },
  { name: "AE gzip;q=0, *", ...get("/page.html", [ae("gzip;q=0, *")]) },
  { name: "AE br (brotli is off)", ...get("/page.html", [ae("br")]) },
  { name: "AE gzip, br", ...get("/page.html", [ae("gzip, br")]) },
  { name: "AE two lines: deflate, then gzip", ...get("/page.html", [ae("deflate"), GZ]) },
  { name: "AE two lines: gzip, then identity", ...get("/page.html", [GZ, ae("identity")]) },
  // gzip_types.
  { name: "types: text/html always", ...get("/types/page.html", [GZ]) },
  { name: "types: text/css listed", ...get("/types/style.css", [GZ]) },
  { name: "types: application/json listed", ...get("/types/data.json", [GZ]) },
  { name: "types: image/svg+xml listed", ...get("/types/icon.svg", [GZ]) },
  { name: "types: text/plain not listed", ...get("/types/notes.txt", [GZ]) },
  { name: "types: application/javascript not listed", ...get("/types/app.js", [GZ]) },
  { name: "default types: text/css", ...get("/style.css", [GZ]) },
  { name: "default types: text/plain", ...get("/notes.txt", [GZ]) },
  { name: "types *: text/plain", ...get("/all/notes.txt", [GZ]) },
  { name: "types *: application/javascript", ...get("/all/app.js", [GZ]) },
  { name: "types *: default_type octet-stream", ...get("/all/blob", [GZ]) },
  { name: "types *: image/png", ...get("/all/logo.png", [GZ]) },
  { name: "types *: text/html", ...get("/all/page.html", [GZ]) },
  { name: "types with a charset parameter", ...get("/charset/notes.txt", [GZ]) },
  // gzip_min_length.
  { name: "min_length 100: 100 bytes", ...get("/minlen/len100.html", [GZ]) },
  { name: "min_length 100: 99 bytes", ...get("/minlen/len99.html", [GZ]) },
  { name: "min_length 20 (default): 20 bytes", ...get("/len20.html", [GZ]) },
  { name: "min_length 20 (default): 19 bytes", ...get("/len19.html", [GZ]) },
  {
    name: "min_length 100: proxied 10 bytes, length unknown",
    ...get("/proxy/tiny-unknown", [GZ]),
    streamed: true,
  },
  {
    name: "min_length 100: proxied 10 bytes, Content-Length",
    ...get("/proxy/tiny-known", [GZ]),
    streamed: true,
  },
  // gzip_vary on eligible and ineligible responses.
  { name: "vary on: compressed", ...get("/vary/page.html", [GZ]) },
  { name: "vary on: eligible, no AE", ...get("/vary/page.html") },
  { name: "vary on: eligible, gzip;q=0", ...get("/vary/page.html", [ae("gzip;q=0")]) },
  { name: "vary on: type not eligible", ...get("/vary/notes.txt", [GZ]) },
  { name: "vary on: too short", ...get("/minlen/len99.html") },
  { name: "vary off: eligible, no AE", ...get("/page.html") },
  // Statuses.
  { name: "404 (error_page file)", ...get("/vary/missing.html", [GZ]) },
  { name: "404 (built-in page)", ...get("/missing.html", [GZ]) },
  { name: "404 (built-in page), vary on", ...get("/types/missing.html", [GZ]) },
  { name: "403 (directory without index)", ...get("/vary/noindex/", [GZ]) },
  { name: "500 (return 500)", ...get("/s500", [GZ]) },
  { name: "301 (directory without slash)", ...get("/vary/noindex", [GZ]) },
  { name: "204 (return 204)", ...get("/s204", [GZ]) },
  { name: "index file of /", ...get("/", [GZ]) },
  {
    name: "304 (If-None-Match: the strong tag)",
    ...ifNoneMatch("/vary/page.html", [GZ], []),
  },
  {
    name: "304 (If-None-Match: the weak tag of the gzipped answer)",
    ...ifNoneMatch("/vary/page.html", [GZ], [GZ]),
  },
  {
    name: "200 (If-None-Match of another tag)",
    ...get("/vary/page.html", [GZ, 'If-None-Match: "other"']),
  },
  // HEAD is never compressed.
  { name: "HEAD", ...head("/vary/page.html", [GZ]) },
  { name: "HEAD of a big file", ...head("/big.html", [GZ]), streamed: true },
  // Range.
  { name: "Range", ...get("/vary/page.html", [GZ, "Range: bytes=0-9"]) },
  { name: "Range without AE", ...get("/vary/page.html", ["Range: bytes=0-9"]) },
  { name: "Range unsatisfiable", ...get("/vary/page.html", [GZ, "Range: bytes=99999-"]) },
  { name: "Range malformed", ...get("/vary/page.html", [GZ, "Range: bytes=x-y"]) },
  {
    name: "Range with a stale If-Range",
    ...get("/vary/page.html", [GZ, "Range: bytes=0-9", 'If-Range: "stale"']),
  },
  { name: "Range on a return text", ...get("/ret.html", [GZ, "Range: bytes=0-9"]) },
  // gzip_proxied, with Via.
  { name: "Via, proxied off", ...get("/px-off/page.html", [GZ, VIA]) },
  { name: "no Via, proxied off", ...get("/px-off/page.html", [GZ]) },
  { name: "Via, proxied any", ...get("/px-any/page.html", [GZ, VIA]) },
  { name: "Via, proxied expired, no Expires", ...get("/px-expired/page.html", [GZ, VIA]) },
  {
    name: "Via, proxied expired, Expires past (expires -1)",
    ...get("/px-expired-past/page.html", [GZ, VIA]),
  },
  {
    name: "Via, proxied expired, Expires future (expires 1h)",
    ...get("/px-expired-future/page.html", [GZ, VIA]),
  },
  { name: "Via, proxied no_etag, ETag", ...get("/px-no_etag/page.html", [GZ, VIA]) },
  { name: "Via, proxied no_etag, etag off", ...get("/px-no_etag-off/page.html", [GZ, VIA]) },
  {
    name: "Via, proxied no_last_modified, Last-Modified",
    ...get("/px-no_last_modified/page.html", [GZ, VIA]),
  },
  {
    name: "Via, proxied auth, Authorization",
    ...get("/px-auth/page.html", [GZ, VIA, "Authorization: Basic YTpi"]),
  },
  { name: "Via, proxied auth, no Authorization", ...get("/px-auth/page.html", [GZ, VIA]) },
  {
    name: "Via, proxied no-cache, Cache-Control: no-cache",
    ...get("/px-no-cache/page.html", [GZ, VIA]),
  },
  {
    name: "Via, proxied no-cache, no Cache-Control",
    ...get("/px-no-cache-none/page.html", [GZ, VIA]),
  },
  {
    name: "Via, proxied no-cache, Cache-Control: public",
    ...get("/px-no-cache-public/page.html", [GZ, VIA]),
  },
  // gzip_disable msie6 "badbot".
  { name: "disable: MSIE 6.0", ...get("/dis/page.html", [GZ, `User-Agent: ${MSIE6}`]) },
  {
    name: "disable: MSIE 6.0 with SV1",
    ...get("/dis/page.html", [
      GZ,
      "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
    ]),
  },
  {
    name: "disable: MSIE 5.5 with SV1",
    ...get("/dis/page.html", [
      GZ,
      "User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98; SV1)",
    ]),
  },
  {
    name: "disable: MSIE 6.0 in Opera",
    ...get("/dis/page.html", [
      GZ,
      "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1) Opera 8.5",
    ]),
  },
  {
    name: "disable: MSIE 7.0",
    ...get("/dis/page.html", [
      GZ,
      "User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)",
    ]),
  },
  {
    name: 'disable: "MSIE 6." at the end',
    ...get("/dis/page.html", [GZ, "User-Agent: x MSIE 6."]),
  },
  { name: "disable: regex, other case", ...get("/dis/page.html", [GZ, "User-Agent: BadBot/2.0"]) },
  { name: "disable: other agent", ...get("/dis/page.html", [GZ, "User-Agent: Mozilla/5.0"]) },
  { name: "disable: no User-Agent", ...get("/dis/page.html", [GZ]) },
  { name: 'disable "^$": no User-Agent', ...get("/dis-empty/page.html", [GZ]) },
  { name: 'disable "^$": empty User-Agent', ...get("/dis-empty/page.html", [GZ, "User-Agent: "]) },
  { name: 'disable "^$": User-Agent x', ...get("/dis-empty/page.html", [GZ, "User-Agent: x"]) },
  // gzip_http_version.
  { name: "HTTP/1.0, http_version 1.1", ...http10("/page.html", [GZ]) },
  { name: "HTTP/1.0, http_version 1.0", ...http10("/v10/page.html", [GZ]) },
  {
    name: "HTTP/1.0, http_version 1.0, big file",
    ...http10("/v10/big.html", [GZ]),
    streamed: true,
  },
  { name: "HTTP/1.1, http_version 1.0", ...get("/v10/page.html", [GZ]) },
  // gzip_static on (gzip on, gzip_types text/css).
  { name: "static on: twin, AE gzip", ...get("/static-on/twin.css", [GZ]) },
  { name: "static on: twin, no AE", ...get("/static-on/twin.css") },
  { name: "static on: twin, gzip;q=0", ...get("/static-on/twin.css", [ae("gzip;q=0")]) },
  { name: "static on: twin, Via", ...get("/static-on/twin.css", [GZ, VIA]) },
  { name: "static on: no twin (compressed on the fly)", ...get("/static-on/plain.css", [GZ]) },
  { name: "static on: only the .gz on disk", ...get("/static-on/only.css", [GZ]) },
  { name: "static on: HEAD of a twin", ...head("/static-on/twin.css", [GZ]) },
  { name: "static on: Range on a twin", ...get("/static-on/twin.css", [GZ, "Range: bytes=0-9"]) },
  { name: "static on: 304 of a twin", ...ifNoneMatch("/static-on/twin.css", [GZ], [GZ]) },
  // gzip_static on, gzip off, gzip_vary on.
  { name: "static on, vary: twin, AE gzip", ...get("/static-on-vary/twin.css", [GZ]) },
  { name: "static on, vary: twin, no AE", ...get("/static-on-vary/twin.css") },
  { name: "static on, vary: no twin, AE gzip", ...get("/static-on-vary/plain.css", [GZ]) },
  // gzip_static always, gzip_vary on.
  { name: "static always: twin, no AE", ...get("/static-always/twin.css") },
  { name: "static always: twin, AE gzip", ...get("/static-always/twin.css", [GZ]) },
  { name: "static always: twin, gzip;q=0", ...get("/static-always/twin.css", [ae("gzip;q=0")]) },
  { name: "static always: no twin", ...get("/static-always/plain.css", [GZ]) },
  { name: "static always: HTTP/1.0", ...http10("/static-always/twin.css") },
  // return with a text.
  { name: "return text, AE gzip", ...get("/ret.html", [GZ]) },
  { name: "return text, no AE", ...get("/ret.html") },
  { name: "return short text", ...get("/ret-short.html", [GZ]) },
  // A big file (streamed) against small ones (from memory).
  { name: "big file, AE gzip", ...get("/big.html", [GZ]), streamed: true },
  { name: "big file, no AE", ...get("/big.html"), streamed: true },
  {
    name: "big file, vary on, gzip;q=0",
    ...get("/vary/big.html", [ae("gzip;q=0")]),
    streamed: true,
  },
  { name: "big file, types *", ...get("/all/big.html", [GZ]), streamed: true },
  // A response with a Content-Encoding of its own, and proxied ones.
  { name: "proxied, already gzipped", ...get("/proxy/enc", [GZ]), streamed: true },
  { name: "proxied, already gzipped, no AE", ...get("/proxy/enc"), streamed: true },
  { name: "proxied, plain", ...get("/proxy/plain", [GZ]), streamed: true },
];

/** Why webserv's framing of a compressed body in memory differs from nginx's. */
const MEMORY_FRAMING =
  "a body webserv has in memory (a small file, a return text, an error page) is compressed " +
  "whole, and sent with its Content-Length (lib/filters/compression.ts); nginx's gzip filter " +
  "always drops the length and chunks (or, on HTTP/1.0, closes)";

const RANGE_FIRST =
  "deliberate: webserv answers a Range the response can answer with a 206 of the uncompressed " +
  "bytes (the range filter runs before compression); nginx's gzip filter drops Accept-Ranges " +
  "and compresses the whole body";

/**
 * Requests whose answers differ, with the reason: each a deliberate or acceptable difference
 * (webserv bugs are not listed: the test fails on them). Each must still differ: when one starts
 * to agree, delete its line.
 */
const KNOWN: Record<string, string> = {
  "Range": RANGE_FIRST,
  "Range unsatisfiable": RANGE_FIRST + ": so an unsatisfiable range gets webserv's 416",
  "Range without AE": RANGE_FIRST + "; webserv's 206 is the same whatever Accept-Encoding says, " +
    "so it has no Vary (the compression filter sees a 206), nginx's 206 has one",
  "types *: image/png":
    "deliberate: webserv never compresses a type that is compressed already (images but SVG, " +
    "video, audio, woff, zip…), even under gzip_types *",
  "AE *":
    "webserv reads Accept-Encoding per RFC 9110 §12.5.3 (lib/compression/negotiate.ts): `*` " +
    "takes every coding not listed, so gzip; nginx's ngx_http_gzip_accept_encoding looks for " +
    "the word gzip only",
  "Via, proxied no_last_modified, Last-Modified":
    "an nginx quirk: a static file's Last-Modified is written by ngx_http_header_filter from " +
    "last_modified_time, after ngx_http_gzip_ok looked for headers_out.last_modified, so " +
    "nginx's no_last_modified never sees it and compresses; webserv sees the header and, as " +
    "nginx's documentation says, does not",
  "AE two lines: deflate, then gzip":
    "webserv joins the lines of a repeated field (RFC 9110 §5.3, " +
    "lib/compression/client.ts preferredCoding), so gzip is accepted; nginx 1.22 keeps the " +
    "first Accept-Encoding line only (ngx_http_process_header_line)",
};

// ---------------------------------------------------------------------------------------------
// Responses.

/** A response, or why there was none ("no response", "timeout", a socket error). */
type Outcome = RawResponse | { error: string };

interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  /**
   * length, chunked or close (until the connection closed); for a HEAD or a status without a
   * body: length (a Content-Length is declared) or none.
   */
  framing: string;
  /** No body follows the head (HEAD, 204, 304). */
  bodiless: boolean;
  body: Uint8Array;
}

function indexOf(bytes: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CRLF = [13, 10];

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Decodes a chunked body, or null when it is cut short or malformed. */
function dechunk(bytes: Uint8Array): Uint8Array | null {
  const parts: Uint8Array[] = [];
  for (let at = 0;;) {
    const end = indexOf(bytes, CRLF, at);
    if (end < 0) return null;
    const size = parseInt(decoder.decode(bytes.subarray(at, end)), 16);
    if (Number.isNaN(size) || end + 2 + size > bytes.length) return null;
    if (size === 0) break;
    parts.push(bytes.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return concat(parts);
}

/** The response in `bytes` (everything the server sent before it closed). */
function parse(bytes: Uint8Array, isHead: boolean): Outcome {
  const end = indexOf(bytes, [13, 10, 13, 10]);
  if (end < 0) {
    return { error: bytes.length === 0 ? "no response" : `no head in "${decoder.decode(bytes)}"` };
  }
  const [statusLine = "", ...lines] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (m === null) return { error: `bad status line "${statusLine}"` };
  const status = Number(m[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  let body = bytes.subarray(end + 4);
  const chunked = headers.get("transfer-encoding")?.toLowerCase() === "chunked";
  const framing = headers.has("content-length") ? "length" : chunked ? "chunked" : "close";
  if (isHead || status < 200 || status === 204 || status === 304) {
    const framing = headers.has("content-length") ? "length" : "none";
    return { status, headers, framing, bodiless: true, body };
  } else if (chunked) {
    const decoded = dechunk(body);
    if (decoded === null) return { error: "bad chunked body" };
    body = decoded;
  } else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (body.length < length) return { error: `body ${length - body.length} bytes short` };
    body = body.subarray(0, length);
  }
  return { status, headers, framing, bodiless: false, body };
}

/**
 * Sends `request` on a new connection and reads until the server closes it (every request says
 * Connection: close, or is HTTP/1.0), within DEADLINE_MS.
 */
function exchange(port: number, request: string, isHead: boolean): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const chunks: Uint8Array[] = [];
    let failure: string | null = null;
    const socket = net.connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => {
      failure = "timeout";
      socket.destroy();
    }, DEADLINE_MS);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", (e: Error) => failure ??= e.message);
    socket.on("close", () => {
      clearTimeout(timer);
      // A reset after the whole answer still leaves the answer.
      const outcome = parse(concat(chunks), isHead);
      resolve("error" in outcome && failure !== null ? { error: failure } : outcome);
    });
  });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** What a body is, decoded: the original, other bytes, or not gzip at all. */
function bodyField(r: RawResponse, original: Uint8Array | null): string {
  if (r.bodiless) return "(none)";
  const encoding = r.headers.get("content-encoding");
  let bytes = r.body;
  let prefix = "";
  if (encoding === "gzip") {
    try {
      bytes = new Uint8Array(gunzipSync(r.body));
    } catch (e) {
      return `does not gunzip (${(e as Error).message})`;
    }
    prefix = "gunzips to ";
  } else if (encoding !== undefined) {
    return `(encoded: ${encoding})`;
  }
  if (original === null) return prefix === "" ? "(not compared)" : "gunzips";
  if (equalBytes(bytes, original)) return `${prefix}the original`;
  return `${prefix}other bytes (${bytes.length} of ${original.length})`;
}

/** The fields both servers should agree on, field → normalised value. */
function view(r: Outcome, original: Uint8Array | null): Map<string, string> {
  const fields = new Map<string, string>();
  if ("error" in r) {
    fields.set("status", r.error);
    return fields;
  }
  const h = (name: string) => r.headers.get(name);
  fields.set("status", String(r.status));
  fields.set("content-encoding", h("content-encoding") ?? "(none)");
  fields.set("vary", h("vary") ?? "(none)");
  fields.set("framing", r.framing);
  const etag = h("etag");
  // Validators belong to a representation: nginx sends its error page's ETag, webserv none
  // (as in nginx_directives_diff_test.ts).
  if (r.status < 400) {
    fields.set("etag", etag === undefined ? "(none)" : etag.startsWith("W/") ? "weak" : "strong");
  }
  // Accept-Ranges on a 200 only: nginx sends none with a 206 (the range filter's business).
  if (r.status === 200) fields.set("accept-ranges", h("accept-ranges") ?? "(none)");
  let type = (h("content-type") ?? "(none)").toLowerCase().replaceAll(" ", "");
  // The servers' own pages (errors, redirects): webserv labels them utf-8, nginx only under
  // `charset`, which this site does not set (nginx_diff_test.ts compares those pages).
  if (r.status >= 300 && original === null) type = type.replace(/;charset=.*$/, "");
  fields.set("content-type", type);
  fields.set("body", bodyField(r, original));
  return fields;
}

/**
 * Applies MEMORY_FRAMING: when both compressed a body that is not streamed, webserv's length
 * against nginx's chunks (or close) is expected, and both fields say so. Returns whether it did.
 */
function memoryFraming(c: Case, ours: Map<string, string>, nginx: Map<string, string>): boolean {
  const gzip = (m: Map<string, string>) => m.get("content-encoding") === "gzip";
  if (c.streamed || c.head || !gzip(ours) || !gzip(nginx)) return false;
  if (ours.get("framing") !== "length") return false;
  if (nginx.get("framing") !== "chunked" && nginx.get("framing") !== "close") return false;
  ours.set("framing", "(MEMORY_FRAMING)");
  nginx.set("framing", "(MEMORY_FRAMING)");
  return true;
}

/** One table cell: JSON-quoted, at most `max` characters, with pipes escaped. */
function cell(value: string, max = 40): string {
  const text = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(text).slice(1, -1).replaceAll("|", "\\|");
}

/** The ETags each path has on the server at `port` for a GET with given headers, fetched once. */
function lookupOn(port: number): Lookup {
  const cache = new Map<string, Promise<string>>();
  return (path, headers) => {
    const key = JSON.stringify([path, headers]);
    let etag = cache.get(key);
    if (etag === undefined) {
      etag = exchange(port, req("GET", path, headers), false).then((r) => {
        if ("error" in r) throw new Error(`GET ${path} failed: ${r.error}`);
        return r.headers.get("etag") ?? '"none"';
      });
      cache.set(key, etag);
    }
    return etag;
  };
}

// ---------------------------------------------------------------------------------------------
// nginx.

function startNginx(servers: string): Promise<Nginx> {
  return startNginxFrom(
    "gzip",
    async (prefix) =>
      (await Deno.readTextFile(join(DATA, "nginx.conf")))
        .replaceAll("@SERVERS@", servers.replaceAll("@LISTEN@", "127.0.0.1:@PORT@"))
        .replaceAll("@USER@", Deno.uid() === 0 ? "user root;" : "")
        .replaceAll("@PREFIX@", prefix),
  );
}

Deno.test({
  name: NGINX_MISSING === null
    ? "webserv's gzip answers like nginx's but for the known differences"
    : `webserv's gzip answers like nginx's (skipped: ${NGINX_MISSING})`,
  ignore: NGINX_MISSING !== null,
  async fn() {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "Case names repeat");
    for (const name of Object.keys(KNOWN)) {
      assert.ok(CASES.some((c) => c.name === name), `Known difference "${name}" has no case`);
    }
    const dir = await Deno.makeTempDir({ prefix: "webserv-gzip-diff-" });
    const root = join(dir, "site");
    const files = await siteFiles();
    let upstream: Upstream | null = null;
    let ours: RunningServer | null = null;
    let nginx: Nginx | null = null;
    try {
      await buildSite(root, files);
      upstream = await startUpstream();
      const servers = (await Deno.readTextFile(join(DATA, "servers.conf")))
        .replaceAll("@DATA@", DATA)
        .replaceAll("@ROOT@", root)
        .replaceAll("@UPSTREAM@", String(upstream.port));
      // webserv reads its config from a file of its own (loadConfig reads includes).
      const file = join(dir, "webserv.conf");
      await Deno.writeTextFile(
        file,
        (await Deno.readTextFile(join(DATA, "webserv.conf")))
          .replaceAll("@SERVERS@", servers.replaceAll("@LISTEN@", "127.0.0.1:0"))
          .replaceAll("@LOG@", join(dir, "error.log")),
      );
      const loaded = await loadConfig(file);
      assert.deepEqual(loaded.warnings, [], "webserv.conf has warnings");
      ours = await startServer(loaded.config);
      const port = ours.addrs[0]!.port;
      nginx = await startNginx(servers);
      const lookup = { ours: lookupOn(port), nginx: lookupOn(nginx.port) };
      const rows: string[] = [];
      const unexpected: string[] = [];
      const stale: string[] = [];
      let memory = 0;
      for (const c of CASES) {
        const request = async (l: Lookup) =>
          typeof c.request === "string" ? c.request : await c.request(l);
        const original = originalOf(files, c.path);
        const isHead = c.head ?? false;
        const a = view(await exchange(port, await request(lookup.ours), isHead), original);
        const b = view(await exchange(nginx.port, await request(lookup.nginx), isHead), original);
        if (memoryFraming(c, a, b)) memory++;
        const diffs = differences(a, b);
        if (Deno.env.get("DIFF_VERBOSE")) {
          console.log(c.name, JSON.stringify([...a]), JSON.stringify([...b]));
        }
        const known = KNOWN[c.name];
        if (diffs.length === 0 && known !== undefined) stale.push(c.name);
        if (diffs.length > 0 && known === undefined) unexpected.push(c.name);
        // When the statuses differ the other fields differ with them: show the status only; when
        // the codings do, the coding (and Vary, which does not follow from it).
        const shown = diffs.some((d) => d.field === "status")
          ? diffs.filter((d) => d.field === "status")
          : diffs.some((d) => d.field === "content-encoding")
          ? diffs.filter((d) => d.field === "content-encoding" || d.field === "vary")
          : diffs;
        for (const d of shown) {
          rows.push(
            `| ${cell(c.name, 60)} | ${d.field} | ${cell(d.ours)} | ${cell(d.nginx)} | ` +
              `${known === undefined ? "**unexpected**" : cell(known, 400)} |`,
          );
        }
      }
      // MEMORY_FRAMING is a known difference too: it must still be seen.
      if (memory === 0) stale.push("MEMORY_FRAMING");
      console.log(
        [
          `\nwebserv vs nginx, gzip: ${CASES.length} requests, ${
            CASES.length - unexpected.length - Object.keys(KNOWN).length + stale.length
          } alike (${memory} of them but for MEMORY_FRAMING: ${MEMORY_FRAMING})`,
          "| request | field | webserv | nginx | known reason |",
          "|---|---|---|---|---|",
          ...rows,
          "",
        ].join("\n"),
      );
      assert.deepEqual(
        { unexpected, stale },
        { unexpected: [], stale: [] },
        "unexpected: requests answered differently from nginx; " +
          "stale: known differences that now agree (delete them from KNOWN)",
      );
    } finally {
      await nginx?.stop();
      await ours?.shutdown();
      await upstream?.close();
      if (Deno.env.get("DIFF_VERBOSE")) {
        console.log(await Deno.readTextFile(join(dir, "error.log")).catch(() => ""));
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
