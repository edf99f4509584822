/**
 * Differential test: the same raw requests against webserv and nginx, over one site with
 * equivalent configs (tests/testdata/diff/). Every answer must agree on the status and the headers
 * that matter, except the KNOWN differences, which must still differ so the table stays honest.
 * DIFF_VERBOSE=1 prints what was compared for every request.
 */
import { differences } from "./_nginx.ts";
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { RawClient, type RawResponse } from "./_client.ts";
import { startTestServer } from "./_server.ts";

const NGINX = "/usr/sbin/nginx";
const DATA = join(import.meta.dirname ?? ".", "..", "testdata", "diff");
const DEADLINE_MS = 5000;

/** The validators each server gave `/a.txt`, for conditional requests. */
interface Validators {
  etag: string;
  lastModified: string;
}

interface Case {
  /** Unique; also the key of KNOWN. */
  name: string;
  request: string | ((v: Validators) => string);
  /** The request is a HEAD: no body follows the response head. */
  head?: boolean;
  /** The server writes the body itself (a listing): compare neither the body nor its length. */
  generated?: boolean;
}

/** RFC 9110 §15.5.6: a 405 MUST carry Allow; nginx's static module sends none. */
const ALLOW_ON_405 =
  "webserv sends the Allow header RFC 9110 §15.5.6 requires on a 405; nginx omits it";

/**
 * Requests whose answers differ, with the reason: "webserv bug: …" for ours to fix, otherwise a
 * deliberate difference. Each must still differ: when one starts to agree, delete its line.
 */
const KNOWN: Record<string, string> = {
  "POST /ro/page.txt (limit_except)":
    "nginx's nearest to allow_methods is limit_except, which answers 403; webserv answers 405",
  "POST /a.txt": ALLOW_ON_405,
  "PUT /a.txt": ALLOW_ON_405,
  "DELETE /delete-me.txt": ALLOW_ON_405,
  "OPTIONS /a.txt": ALLOW_ON_405,
  "FOO /a.txt (unknown method)":
    "RFC 9110 §15.6.2: an unrecognised method is 501; nginx answers 405 for any method on a file",
  "get /a.txt (lower-case method)":
    "methods are case-sensitive tokens, so `get` is an unknown method (501); nginx's parser " +
    "takes upper-case letters only (400)",
  "Range bytes=5-2 (reversed)":
    "an invalid byte-range-spec (RFC 9110 §14.1.1) makes webserv ignore Range (200), which " +
    "§14.2 allows; nginx answers 416",
  "Range bytes=0-1,3-4 (multi)":
    "webserv serves single ranges only and answers several with the whole file (200, allowed by " +
    "RFC 9110 §14.2); nginx sends multipart/byteranges",
  "Header without colon":
    "a field line without a colon is malformed (RFC 9112 §5): webserv answers 400; nginx skips " +
    "the line (ignore_invalid_headers)",
  "Header of 10000 bytes":
    "limits differ: webserv takes a head up to 32 KiB; nginx a header line up to 8 KiB " +
    "(large_client_header_buffers 4 8k), then 400",
  "Header of 40000 bytes":
    "webserv answers an oversized head with 431 (RFC 6585 §5); nginx with 400",
  "Empty Host":
    "an empty Host is valid syntax (RFC 9112 §3.2, reg-name may be empty) and webserv serves the " +
    "default server; nginx answers 400",
  "HTTP/0.9 request line":
    "webserv speaks HTTP/1.x only and answers 400; nginx answers HTTP/0.9 (a body, no head)",
  "Two spaces after the method":
    "RFC 9112 §3 asks for single SPs and warns that lenient parsing enables smuggling: webserv " +
    "answers 400; nginx skips the extra space",
  "Range bytes=0- on an empty file":
    "no first-pos is below an empty file's length, so the range is unsatisfiable (RFC 9110 " +
    "§14.1.1) and webserv answers 416; nginx ignores Range on empty files (200)",
};

/** A request line plus Host and Connection: close, then `headers`. */
function req(method: string, target: string, headers: string[] = []): string {
  return [
    `${method} ${target} HTTP/1.1`,
    "Host: localhost",
    "Connection: close",
    ...headers,
    "",
    "",
  ]
    .join("\r\n");
}

const CASES: Case[] = [
  // Files and types
  { name: "GET /", request: req("GET", "/") },
  { name: "HEAD /", request: req("HEAD", "/"), head: true },
  { name: "GET /index.html", request: req("GET", "/index.html") },
  { name: "GET /a.txt", request: req("GET", "/a.txt") },
  { name: "HEAD /a.txt", request: req("HEAD", "/a.txt"), head: true },
  { name: "GET /style.css", request: req("GET", "/style.css") },
  { name: "GET /img.png", request: req("GET", "/img.png") },
  { name: "GET /video.mp4", request: req("GET", "/video.mp4") },
  { name: "GET /sp%20ace.txt", request: req("GET", "/sp%20ace.txt") },
  { name: "GET /a%2etxt", request: req("GET", "/a%2etxt") },
  { name: "GET /a.txt?x=1", request: req("GET", "/a.txt?x=1") },
  { name: "GET /.hidden.txt", request: req("GET", "/.hidden.txt") },
  { name: "GET /empty.txt", request: req("GET", "/empty.txt") },
  { name: "GET /index.html/ (file with a slash)", request: req("GET", "/index.html/") },
  {
    name: "GET /a.txt with a body",
    request: req("GET", "/a.txt", ["Content-Length: 5"]) + "hello",
  },
  // Directories
  { name: "GET /sub", request: req("GET", "/sub") },
  { name: "GET /sub?x=1", request: req("GET", "/sub?x=1") },
  { name: "GET /sub/", request: req("GET", "/sub/") },
  { name: "HEAD /sub", request: req("HEAD", "/sub"), head: true },
  { name: "GET /nodir", request: req("GET", "/nodir") },
  { name: "GET /nodir/", request: req("GET", "/nodir/") },
  { name: "GET /files", request: req("GET", "/files") },
  { name: "GET /files/ (autoindex)", request: req("GET", "/files/"), generated: true },
  {
    name: "HEAD /files/ (autoindex)",
    request: req("HEAD", "/files/"),
    head: true,
    generated: true,
  },
  // Missing files and error_page
  { name: "GET /missing.txt", request: req("GET", "/missing.txt") },
  { name: "HEAD /missing.txt", request: req("HEAD", "/missing.txt"), head: true },
  { name: "GET /sub/missing", request: req("GET", "/sub/missing") },
  { name: "GET /missing/", request: req("GET", "/missing/") },
  // Locations
  { name: "GET /old (return 301)", request: req("GET", "/old") },
  { name: "GET /old/x (return 301)", request: req("GET", "/old/x") },
  { name: "GET /exact (location =)", request: req("GET", "/exact") },
  { name: "HEAD /exact (location =)", request: req("HEAD", "/exact"), head: true },
  { name: "GET /exact/ (no location =)", request: req("GET", "/exact/") },
  { name: "GET /alias/", request: req("GET", "/alias/") },
  { name: "GET /alias/index.html", request: req("GET", "/alias/index.html") },
  { name: "GET /alias/missing", request: req("GET", "/alias/missing") },
  { name: "GET /ro/page.txt", request: req("GET", "/ro/page.txt") },
  { name: "HEAD /ro/page.txt", request: req("HEAD", "/ro/page.txt"), head: true },
  {
    name: "POST /ro/page.txt (limit_except)",
    request: req("POST", "/ro/page.txt", ["Content-Length: 0"]),
  },
  // Paths out of the root
  { name: "GET /../etc/passwd", request: req("GET", "/../etc/passwd") },
  { name: "GET /%2e%2e/a.txt", request: req("GET", "/%2e%2e/a.txt") },
  { name: "GET /%2E%2E/%2E%2E/etc/passwd", request: req("GET", "/%2E%2E/%2E%2E/etc/passwd") },
  { name: "GET /sub/../a.txt", request: req("GET", "/sub/../a.txt") },
  { name: "GET /sub/./index.html", request: req("GET", "/sub/./index.html") },
  { name: "GET //a.txt", request: req("GET", "//a.txt") },
  { name: "GET /sub/..", request: req("GET", "/sub/..") },
  { name: "GET /sub%2Findex.html (encoded slash)", request: req("GET", "/sub%2Findex.html") },
  { name: "GET /..%5c..%5cetc/passwd (backslashes)", request: req("GET", "/..%5c..%5cetc/passwd") },
  { name: "GET /a.txt#fragment", request: req("GET", "/a.txt#fragment") },
  { name: "GET /a.txt?%zz (bad escape in the query)", request: req("GET", "/a.txt?%zz") },
  { name: "GET /a%zz (bad escape)", request: req("GET", "/a%zz") },
  { name: "GET /a%00.txt (NUL)", request: req("GET", "/a%00.txt") },
  // Ranges
  { name: "Range bytes=0-4", request: req("GET", "/a.txt", ["Range: bytes=0-4"]) },
  { name: "Range bytes=0-0", request: req("GET", "/a.txt", ["Range: bytes=0-0"]) },
  { name: "Range bytes=-5 (suffix)", request: req("GET", "/a.txt", ["Range: bytes=-5"]) },
  {
    name: "Range bytes=-100 (suffix past start)",
    request: req("GET", "/a.txt", ["Range: bytes=-100"]),
  },
  { name: "Range bytes=40- (open)", request: req("GET", "/a.txt", ["Range: bytes=40-"]) },
  {
    name: "Range bytes=10-1000 (end past size)",
    request: req("GET", "/a.txt", ["Range: bytes=10-1000"]),
  },
  {
    name: "Range bytes=1000- (unsatisfiable)",
    request: req("GET", "/a.txt", ["Range: bytes=1000-"]),
  },
  { name: "Range bytes=5-2 (reversed)", request: req("GET", "/a.txt", ["Range: bytes=5-2"]) },
  { name: "Range bytes=0-1,3-4 (multi)", request: req("GET", "/a.txt", ["Range: bytes=0-1,3-4"]) },
  { name: "Range bytes=-0", request: req("GET", "/a.txt", ["Range: bytes=-0"]) },
  {
    name: "Range bytes=0- on an empty file",
    request: req("GET", "/empty.txt", ["Range: bytes=0-"]),
  },
  {
    name: "Range bytes=-5 on an empty file",
    request: req("GET", "/empty.txt", ["Range: bytes=-5"]),
  },
  { name: "Range items=0-4 (other unit)", request: req("GET", "/a.txt", ["Range: items=0-4"]) },
  {
    name: "HEAD Range bytes=0-4",
    request: req("HEAD", "/a.txt", ["Range: bytes=0-4"]),
    head: true,
  },
  { name: "Range on a 404", request: req("GET", "/missing.txt", ["Range: bytes=0-4"]) },
  {
    name: "Range with a matching If-Range",
    request: (v) => req("GET", "/a.txt", ["Range: bytes=0-4", `If-Range: ${v.etag}`]),
  },
  {
    name: "Range with If-Range: Last-Modified",
    request: (v) => req("GET", "/a.txt", ["Range: bytes=0-4", `If-Range: ${v.lastModified}`]),
  },
  {
    name: "Range with a stale If-Range",
    request: req("GET", "/a.txt", ["Range: bytes=0-4", `If-Range: "stale"`]),
  },
  // Conditional requests
  {
    name: "If-None-Match with the ETag",
    request: (v) => req("GET", "/a.txt", [`If-None-Match: ${v.etag}`]),
  },
  {
    name: "HEAD If-None-Match with the ETag",
    request: (v) => req("HEAD", "/a.txt", [`If-None-Match: ${v.etag}`]),
    head: true,
  },
  {
    name: "If-None-Match with the ETag in a list",
    request: (v) => req("GET", "/a.txt", [`If-None-Match: "x", ${v.etag}`]),
  },
  {
    name: "If-None-Match with the weak ETag",
    request: (v) => req("GET", "/a.txt", [`If-None-Match: W/${v.etag}`]),
  },
  { name: "If-None-Match: *", request: req("GET", "/a.txt", ["If-None-Match: *"]) },
  { name: "If-None-Match another ETag", request: req("GET", "/a.txt", [`If-None-Match: "x"`]) },
  {
    name: "If-Modified-Since Last-Modified",
    request: (v) => req("GET", "/a.txt", [`If-Modified-Since: ${v.lastModified}`]),
  },
  {
    name: "If-Modified-Since 1970",
    request: req("GET", "/a.txt", ["If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT"]),
  },
  {
    name: "If-Modified-Since in the future",
    request: req("GET", "/a.txt", ["If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"]),
  },
  {
    name: "If-Modified-Since garbage",
    request: req("GET", "/a.txt", ["If-Modified-Since: yesterday"]),
  },
  {
    name: "If-None-Match wins over If-Modified-Since",
    request: (v) =>
      req("GET", "/a.txt", [`If-None-Match: "x"`, `If-Modified-Since: ${v.lastModified}`]),
  },
  // Methods
  { name: "POST /a.txt", request: req("POST", "/a.txt", ["Content-Length: 0"]) },
  { name: "PUT /a.txt", request: req("PUT", "/a.txt", ["Content-Length: 0"]) },
  { name: "DELETE /delete-me.txt", request: req("DELETE", "/delete-me.txt") },
  { name: "GET /delete-me.txt after DELETE", request: req("GET", "/delete-me.txt") },
  { name: "OPTIONS /a.txt", request: req("OPTIONS", "/a.txt") },
  { name: "FOO /a.txt (unknown method)", request: req("FOO", "/a.txt") },
  { name: "get /a.txt (lower-case method)", request: req("get", "/a.txt") },
  // Protocol
  { name: "HTTP/1.0 without Host", request: "GET /a.txt HTTP/1.0\r\n\r\n" },
  { name: "HTTP/1.0 with Host", request: "GET /a.txt HTTP/1.0\r\nHost: localhost\r\n\r\n" },
  { name: "HTTP/1.1 without Host", request: "GET /a.txt HTTP/1.1\r\n\r\n" },
  {
    name: "HTTP/1.1 with two Host headers",
    request: "GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
  },
  { name: "HTTP/1.2", request: "GET /a.txt HTTP/1.2\r\nHost: localhost\r\n\r\n" },
  { name: "HTTP/0.9 request line", request: "GET /a.txt\r\n" },
  { name: "http/1.1 (lower-case)", request: "GET /a.txt http/1.1\r\nHost: localhost\r\n\r\n" },
  {
    name: "Two spaces after the method",
    request: "GET  /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
  },
  { name: "HTTP/2.0", request: "GET /a.txt HTTP/2.0\r\nHost: localhost\r\n\r\n" },
  { name: "HTTP/1.x (bad version)", request: "GET /a.txt HTTP/1.x\r\nHost: localhost\r\n\r\n" },
  {
    name: "HTCPCP/1.0 (bad protocol)",
    request: "GET /a.txt HTCPCP/1.0\r\nHost: localhost\r\n\r\n",
  },
  { name: "Header without colon", request: req("GET", "/a.txt", ["NoColonHere"]) },
  { name: "Header with a space before the colon", request: req("GET", "/a.txt", ["X-A : 1"]) },
  { name: "Absolute-form target", request: req("GET", "http://localhost/a.txt") },
  { name: "Target without a slash", request: req("GET", "a.txt") },
  { name: "Asterisk target", request: req("OPTIONS", "*") },
  {
    name: "Content-Length with Transfer-Encoding",
    request: req("POST", "/a.txt", ["Content-Length: 3", "Transfer-Encoding: chunked"]) +
      "0\r\n\r\n",
  },
  { name: "Transfer-Encoding: gzip", request: req("POST", "/a.txt", ["Transfer-Encoding: gzip"]) },
  { name: "Bad Content-Length", request: req("POST", "/a.txt", ["Content-Length: abc"]) },
  { name: "URI of 10000 bytes", request: req("GET", "/" + "a".repeat(10000)) },
  { name: "Header of 10000 bytes", request: req("GET", "/a.txt", ["X-Big: " + "b".repeat(10000)]) },
  { name: "Header of 40000 bytes", request: req("GET", "/a.txt", ["X-Big: " + "b".repeat(40000)]) },
  { name: "Bare LF line ends", request: "GET /a.txt HTTP/1.1\nHost: localhost\n\n" },
  {
    name: "Two different Content-Lengths",
    request: req("POST", "/a.txt", ["Content-Length: 1", "Content-Length: 2"]) + "ab",
  },
  { name: "Host with a port", request: "GET /a.txt HTTP/1.1\r\nHost: localhost:80\r\n\r\n" },
  { name: "Host with a slash", request: "GET /a.txt HTTP/1.1\r\nHost: a/b\r\n\r\n" },
  { name: "Empty Host", request: "GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n" },
  { name: "Folded header line", request: req("GET", "/a.txt", ["X-A: 1", " continued"]) },
];

/** The fixture tree under `dir` as path (prefixed with `into`) → bytes, for startTestServer. */
async function readTree(dir: string, into: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const full = join(at, entry.name);
      if (entry.isDirectory) await walk(full);
      else files[join(into, relative(dir, full))] = await Deno.readFile(full);
    }
  };
  await walk(dir);
  return files;
}

/** Where a server listens: webserv on a port, nginx on a Unix socket. */
type Address = number | { path: string };

/** nginx running the diff site from its own temp prefix. */
interface Nginx {
  address: Address;
  stop(): Promise<void>;
}

/**
 * Starts nginx as the leader of its own process group and waits until it accepts. It listens on
 * a Unix socket in its prefix: nginx cannot report an ephemeral port back, and a port picked in
 * advance could be taken by the time nginx binds it.
 */
async function startNginx(root: string): Promise<Nginx> {
  const prefix = await Deno.makeTempDir({ prefix: "webserv-diff-nginx-" });
  const address = { path: join(prefix, "nginx.sock") };
  const conf = (await Deno.readTextFile(join(DATA, "nginx.conf")))
    .replaceAll("@USER@", Deno.uid() === 0 ? "user root;" : "")
    .replaceAll("@PREFIX@", prefix)
    .replaceAll("@ROOT@", root)
    .replaceAll("@LISTEN@", `unix:${address.path}`);
  await Deno.writeTextFile(join(prefix, "nginx.conf"), conf);
  const child = new Deno.Command(NGINX, {
    args: ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const stop = async () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await status;
    await Deno.remove(prefix, { recursive: true });
  };
  try {
    for (const deadline = Date.now() + 10_000;;) {
      if (exited) throw new Error("nginx exited");
      try {
        (await Deno.connect({ transport: "unix", path: address.path })).close();
        return { address, stop };
      } catch (e) {
        const notYet = e instanceof Deno.errors.ConnectionRefused ||
          e instanceof Deno.errors.NotFound;
        if (!notYet || Date.now() > deadline) throw e;
      }
      // nginx has no readiness signal but its socket: poll it.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (e) {
    const log = await Deno.readTextFile(join(prefix, "error.log")).catch(() => "");
    await stop();
    throw new Error(`nginx did not start (${(e as Error).message}): "${log.trim()}"`);
  }
}

/** A response, or why there was none ("no response", "timeout", a socket error). */
type Outcome = RawResponse | { error: string };

/** Sends `request` on a new connection and reads one response within DEADLINE_MS. */
async function exchange(to: Address, request: string, head: boolean): Promise<Outcome> {
  const client = await RawClient.connect(to);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, DEADLINE_MS);
  try {
    await client.send(request);
    return await client.read({ head });
  } catch (e) {
    if (timedOut) return { error: "timeout" };
    const message = e instanceof Error ? e.message : String(e);
    // The client quotes what it got before the connection closed: nothing, or a head-less body.
    const got = /^Connection closed before a response head: "([^]*)"$/.exec(message)?.[1];
    if (got === "") return { error: "no response" };
    if (got !== undefined) return { error: `no status line, just "${got}"` };
    return { error: message };
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** The parts of an answer both servers should agree on, field → normalised value. */
function view(c: Case, r: Outcome): Map<string, string> {
  const fields = new Map<string, string>();
  if ("error" in r) {
    fields.set("status", r.error);
    return fields;
  }
  const h = (name: string) => r.headers.get(name);
  fields.set("status", String(r.status));
  const type = h("content-type");
  if (type !== undefined) {
    // Parameters are compared without spaces or case; a multipart boundary is the server's own;
    // nginx never labels a redirect's page with a charset (for Netscape 4, says its source).
    let normal = type.toLowerCase().replaceAll(" ", "").replace(/;boundary=.*$/, "");
    if (r.status >= 300 && r.status < 400) normal = normal.replace(/;charset=.*$/, "");
    fields.set("content-type", normal);
  }
  // Bodies the servers take from the same files (or the same `return` text) must be the same.
  const fromFiles = !c.generated && ((r.status >= 200 && r.status < 300) || r.status === 404) &&
    !type?.startsWith("multipart/");
  if (fromFiles) {
    fields.set("content-length", h("content-length") ?? "(none)");
    if (!c.head) fields.set("body", r.text);
  }
  const location = h("location");
  if (location !== undefined) fields.set("location", location.replace(/^https?:\/\/[^/]*/, ""));
  const allow = h("allow");
  if (allow !== undefined) {
    fields.set("allow", allow.split(",").map((m) => m.trim()).sort().join(", "));
  }
  const range = h("content-range");
  if (range !== undefined) fields.set("content-range", range);
  // Validators belong to a representation: nginx sends its error page's ETag, webserv none.
  if (r.status < 400) {
    for (const name of ["etag", "last-modified"]) {
      if (h(name) !== undefined) fields.set(name, "(present)");
    }
  }
  // nginx advertises ranges on a full answer only (not on a 206).
  if (r.status === 200 && h("accept-ranges") !== undefined) {
    fields.set("accept-ranges", "(present)");
  }
  return fields;
}

/** One table cell: JSON-quoted, at most `max` characters, with pipes escaped. */
function cell(value: string, max = 40): string {
  const text = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(text).slice(1, -1).replaceAll("|", "\\|");
}

async function validators(to: Address): Promise<Validators> {
  const r = await exchange(to, req("GET", "/a.txt"), false);
  if ("error" in r) throw new Error(`GET /a.txt failed: ${r.error}`);
  return {
    etag: r.headers.get("etag") ?? '"none"',
    lastModified: r.headers.get("last-modified") ?? "",
  };
}

const nginxInstalled = await Deno.stat(NGINX).then((i) => i.isFile, () => false);

Deno.test({
  name: nginxInstalled
    ? "webserv answers like nginx but for the known differences"
    : `webserv answers like nginx (skipped: "${NGINX}" is missing)`,
  ignore: !nginxInstalled,
  async fn() {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "Case names repeat");
    for (const name of Object.keys(KNOWN)) {
      assert.ok(CASES.some((c) => c.name === name), `Known difference "${name}" has no case`);
    }
    const ours = await startTestServer(
      await Deno.readTextFile(join(DATA, "webserv.conf")),
      await readTree(join(DATA, "site"), "site"),
    );
    let nginx: Nginx | null = null;
    try {
      nginx = await startNginx(join(ours.dir, "site"));
      const v = { ours: await validators(ours.port), nginx: await validators(nginx.address) };
      const rows: string[] = [];
      const unexpected: string[] = [];
      const stale: string[] = [];
      for (const c of CASES) {
        const request = (v: Validators) => typeof c.request === "string" ? c.request : c.request(v);
        const a = await exchange(ours.port, request(v.ours), c.head ?? false);
        const b = await exchange(nginx.address, request(v.nginx), c.head ?? false);
        const diffs = differences(view(c, a), view(c, b));
        if (Deno.env.get("DIFF_VERBOSE")) {
          console.log(c.name, JSON.stringify([...view(c, a)]), JSON.stringify([...view(c, b)]));
        }
        const known = KNOWN[c.name];
        if (diffs.length === 0 && known !== undefined) stale.push(c.name);
        if (diffs.length > 0 && known === undefined) unexpected.push(c.name);
        // When the statuses differ the other fields differ with them: show the status only.
        const shown = diffs.some((d) => d.field === "status")
          ? diffs.filter((d) => d.field === "status")
          : diffs;
        for (const d of shown) {
          rows.push(
            `| ${cell(c.name)} | ${d.field} | ${cell(d.ours)} | ${cell(d.nginx)} | ` +
              `${known === undefined ? "**unexpected**" : cell(known, 400)} |`,
          );
        }
      }
      console.log(
        [
          `\nwebserv vs nginx: ${CASES.length} requests, ${
            CASES.length - unexpected.length - Object.keys(KNOWN).length + stale.length
          } alike`,
          "| request | field | webserv | nginx | known reason |",
          "|---|---|---|---|---|",
          ...rows,
          "",
        ].join("\n"),
      );
      assert.deepEqual(unexpected, [], "Requests answered differently from nginx");
      assert.deepEqual(stale, [], "Known differences that now agree (delete them from KNOWN)");
    } finally {
      await nginx?.stop();
      await ours.close();
    }
  },
});
