/**
 * Differential test of the reverse proxy against nginx's proxy_pass: both servers get the same
 * upstream and server blocks (tests/testdata/diff_proxy/servers.conf; only `listen` differs) and
 * proxy to the same upstreams, which the test runs on ephemeral loopback ports:
 *
 * - an echo server that answers with what it received, as JSON (request line, header fields with
 *   names lower-cased, body), so that the test compares what the upstream got through each server:
 *   the URI by nginx's replacement rule, the HTTP version, Host, Connection, the client's fields
 *   passed or dropped, proxy_set_header with variables and its inheritance, the body's framing;
 * - a scripted server that answers, for the last segment of the path, with the exact bytes of its
 *   table, so that the test compares what the client got: the status, the upstream's fields
 *   passed or hidden, Location and Refresh after proxy_redirect, intercepted errors, and the 502s
 *   for broken or ambiguous framing; it can also close without answering, or stay silent;
 * - three echo servers that say who they are, behind upstream blocks: round robin with weights,
 *   down and backup servers, and which requests are retried on the next server.
 *
 * The echo and the script are raw TCP servers rather than Deno.serve: a Request tells neither the
 * HTTP version nor the request target as sent (its URL is parsed and normalised), and a scripted
 * answer must be able to break the rules. The same requests go to webserv and nginx; every answer
 * must agree on what matters, except the KNOWN differences, which must still differ so the table
 * stays honest. The nginx installed is 1.22, which passes some framing that later versions (and
 * webserv) refuse: those rows are KNOWN, with the version that changed. DIFF_VERBOSE=1 prints what
 * was compared for every request, and both error logs.
 *
 * nginx runs as in nginx_directives_diff_test.ts, whose approach this follows: it cannot listen
 * on port 0, so a small launcher binds 127.0.0.1:0, keeps the socket open and execs nginx with it
 * inherited through the `NGINX` environment variable (nginx's own mechanism for its binary
 * upgrade); nginx's `listen` names that port and nginx takes the inherited socket instead of
 * binding one. A master and one worker: round robin and passive health are per worker.
 *
 * Normalised: nginx's and webserv's own Server and Date fields (an upstream's, passed by
 * proxy_pass_header, are compared), and the bodies of the servers' own pages (502, 504, the
 * auto-redirect's 301); nginx's absolute redirects are turned off in its config (absolute_redirect
 * off: webserv's are path-only). Upstream ports are the same for both servers, so nothing that
 * names one needs rewriting.
 */
import { differences, type Nginx, NGINX_MISSING, startNginx as startNginxFrom } from "./_nginx.ts";
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { type RunningServer, startServer } from "../../lib/server/listener.ts";

const DATA = join(import.meta.dirname ?? ".", "..", "testdata", "diff_proxy");
const DEADLINE_MS = 5000;

// ---------------------------------------------------------------------------------------------
// The upstreams.

const encoder = new TextEncoder();
const CRLF = [13, 10];
const CRLFCRLF = [13, 10, 13, 10];

function indexOf(bytes: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Bytes as text, one character per byte (nothing lost, whatever the bytes). */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

/** Text of one character per byte back to its bytes. */
function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** A connection's input, read as the request parser needs it. */
class Input {
  #buf = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  /** The bytes up to `delimiter` (which is consumed), or null at the end of the stream. */
  async until(delimiter: number[]): Promise<Uint8Array | null> {
    for (;;) {
      const at = indexOf(this.#buf, delimiter);
      if (at >= 0) {
        const out = this.#buf.slice(0, at);
        this.#buf = this.#buf.slice(at + delimiter.length);
        return out;
      }
      if (!await this.#fill()) return null;
    }
  }

  /** The next `n` bytes, or null when the stream ends before. */
  async take(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!await this.#fill()) return null;
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Waits for the other side to close (or reset) the connection. */
  async end(): Promise<void> {
    while (await this.#fill()) this.#buf = new Uint8Array(0);
  }
}

/** A request as an upstream received it. */
interface Received {
  line: string;
  /** In order; names lower-cased, values trimmed. */
  headers: [string, string][];
  body: string;
}

/** Reads one request, its body delimited by Content-Length or chunked; null at end of stream. */
async function readRequest(input: Input): Promise<Received | null> {
  const head = await input.until(CRLFCRLF);
  if (head === null) return null;
  const [line = "", ...lines] = latin1(head).split("\r\n");
  const headers = lines.map((l): [string, string] => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()];
  });
  const field = (name: string) => headers.find(([n]) => n === name)?.[1];
  let body = "";
  if (/chunked/i.test(field("transfer-encoding") ?? "")) {
    for (;;) {
      const size = await input.until(CRLF);
      if (size === null) return null;
      const n = parseInt(latin1(size), 16);
      if (n === 0) {
        // The trailer section, up to its empty line.
        for (let t = await input.until(CRLF); t !== null && t.length > 0;) {
          t = await input.until(CRLF);
        }
        break;
      }
      const data = await input.take(n + 2);
      if (data === null) return null;
      body += latin1(data.subarray(0, n));
    }
  } else if (field("content-length") !== undefined) {
    const data = await input.take(Number(field("content-length")));
    if (data === null) return null;
    body = latin1(data);
  }
  return { line, headers, body };
}

interface Upstream {
  port: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1:0 handing each connection to `serve`, closed when it returns. */
function tcpServer(serve: (input: Input, port: number) => Promise<void>): Upstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const handler = serve(new Input(conn), port).catch(() => {}).finally(() => {
        conns.delete(conn);
        handlers.delete(handler);
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      });
      handlers.add(handler);
    }
  })().catch(() => {});
  return {
    port,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
      await accepting;
      await Promise.all(handlers);
    },
  };
}

/** Whether the upstream should close after answering `req` (HTTP/1.0, or Connection: close). */
function closes(req: Received): boolean {
  const connection = req.headers.filter(([n]) => n === "connection").map(([, v]) => v).join(",");
  if (req.line.endsWith("HTTP/1.0")) return !/keep-alive/i.test(connection);
  return /close/i.test(connection);
}

/**
 * Answers every request with what it received, as JSON, and says who it is in X-Upstream (a HEAD
 * gets the request line in X-Echo-Line instead of a body); keeps the connection when asked to.
 */
function echoServer(name: string): Upstream {
  return tcpServer(async (input) => {
    for (;;) {
      const req = await readRequest(input);
      if (req === null) return;
      const json = encoder.encode(JSON.stringify({ name, ...req }));
      const head = req.line.startsWith("HEAD ");
      const close = closes(req);
      let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
        `X-Upstream: ${name}\r\nContent-Length: ${json.length}\r\n`;
      if (head) text += `X-Echo-Line: ${req.line}\r\n`;
      if (close) text += "Connection: close\r\n";
      const out = [...bytesOf(text + "\r\n"), ...(head ? [] : json)];
      await writeAll(input.conn, Uint8Array.from(out));
      if (close) return;
    }
  });
}

/** An upstream's own Date, told apart from the servers' own. */
const UPSTREAM_DATE = "Sun, 06 Nov 1994 08:49:37 GMT";

/** An HTTP/1.1 answer with `fields` and a body framed by its length. */
function answerText(status: string, fields: string[], body = "ok\n"): string {
  return `HTTP/1.1 ${status}\r\n${fields.map((f) => `${f}\r\n`).join("")}` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
}

const ok = (fields: string[], body?: string) => answerText("200 OK", fields, body);
const TEXT = "Content-Type: text/plain";
/** The scripted server's own port, in Location fields that name it. */
const SELF = "http://127.0.0.1:@PORT@";

/**
 * What the scripted server answers, by the last segment of the request's path (the bytes as they
 * are; "@PORT@" is its own port); HEAD gets the head only. Two segments are not in the table:
 * "close" closes the connection without answering, "silent" never answers; after "stall" the
 * connection stays open until the proxy closes it.
 */
const SCRIPT: Record<string, string> = {
  ok: ok([TEXT, "X-Kept: yes"]),
  // nginx's hidden fields, and two for proxy_hide_header.
  hidden: ok([
    TEXT,
    "Server: upstream/1.0",
    `Date: ${UPSTREAM_DATE}`,
    "X-Pad: avoid browser bug",
    "X-Accel-Expires: 60",
    "X-Accel-Buffering: no",
    "X-Accel-Limit-Rate: 1000000",
    "X-Hide-Me: 1",
    "Set-Cookie: a=1",
    "X-Kept: yes",
  ]),
  passed: ok([
    "Content-Type: text/html; charset=utf-8",
    "Cache-Control: no-cache",
    "Cache-Control: private",
    `Expires: ${UPSTREAM_DATE}`,
    'ETag: "v1"',
    `Last-Modified: ${UPSTREAM_DATE}`,
    "Vary: Accept-Encoding",
    "Link: </a.css>; rel=preload",
    "Content-Disposition: inline",
    "Content-Language: fr",
    "Set-Cookie: a=1; Path=/",
    "Set-Cookie: b=2",
    "X-Multi: one",
    "X-Multi: two",
    "Accept-Ranges: bytes",
    "Age: 5",
    "Allow: GET",
    "Content-Location: /there",
    'WWW-Authenticate: Basic realm="x"',
    "X-Empty:",
  ]),
  // The hop-by-hop fields of RFC 9110 §7.6.1, one of them named by Connection.
  hop: ok([
    TEXT,
    "Connection: keep-alive, X-Hop",
    "Keep-Alive: timeout=5",
    "X-Hop: 1",
    "Proxy-Connection: keep-alive",
    "Upgrade: h2c",
    "Trailer: X-T",
    "TE: trailers",
    "X-Kept: yes",
  ]),
  "keep-alive": ok([TEXT, "Connection: keep-alive", "Keep-Alive: timeout=5", "X-Kept: yes"]),
  "accel-redirect": ok(["X-Accel-Redirect: /accel-target", "X-Kept: yes"], "upstream body\n"),
  "accel-charset": ok([TEXT, "X-Accel-Charset: koi8-r", "X-Kept: yes"]),
  "no-type": ok(["X-Kept: yes"]),
  hidemix: ok([TEXT, "X-Hide-Me: 1", "X-Hide-Too: 1", "X-Kept: yes"]),
  r401: answerText("401 Unauthorized", [TEXT, 'WWW-Authenticate: Basic realm="app"'], "app 401\n"),
  r403: answerText("403 Forbidden", [TEXT], "app 403\n"),
  r404: answerText("404 Not Found", [TEXT, "X-Kept: yes"], "app 404\n"),
  r500: answerText("500 Internal Server Error", [TEXT], "app 500\n"),
  r302: answerText("302 Found", [TEXT, "Location: /somewhere"], "moved\n"),
  r204: "HTTP/1.1 204 No Content\r\nX-Kept: yes\r\n\r\n",
  r304: 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nX-Kept: yes\r\n\r\n',
  // Redirects for proxy_redirect (the locations proxy to SELF/two/ or to SELF).
  "loc-own": answerText("302 Found", [TEXT, `Location: ${SELF}/two/b`], "moved\n"),
  "loc-root": answerText("302 Found", [TEXT, `Location: ${SELF}/c`], "moved\n"),
  "loc-rel": answerText("302 Found", [TEXT, "Location: /relative/x"], "moved\n"),
  "loc-other": answerText("302 Found", [TEXT, "Location: http://elsewhere.test/x"], "moved\n"),
  "loc-localhost": answerText("301 Moved Permanently", [TEXT, "Location: http://localhost/y"]),
  "loc-name": answerText("302 Found", [TEXT, "Location: http://script-up/two/d"], "moved\n"),
  "loc-201": answerText("201 Created", [TEXT, `Location: ${SELF}/two/new`], "created\n"),
  refresh: ok([TEXT, `Refresh: 5; url=${SELF}/two/r`]),
  "refresh-upper": ok([TEXT, `Refresh: 0;URL=${SELF}/two/s`]),
  // Framing.
  chunked: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  "chunked-trailer": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n",
  "close-10": "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close\n",
  "close-11": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close\n",
  "short-body": "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
  "interim-100": "HTTP/1.1 100 Continue\r\n\r\n" + ok([TEXT]),
  "interim-103": "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + ok([TEXT]),
  "lf-only": "HTTP/1.1 200 OK\nContent-Length: 3\nX-Kept: yes\n\nok\n",
  "obs-text": ok([TEXT, "X-Latin: caf\xe9"]),
  "cl-extra": "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\nEXTRA",
  // Sent to a HEAD with its body all the same.
  "head-body": ok([TEXT, "X-Kept: yes"]),
  // Its head, then part of its body, then nothing (the connection stays open).
  stall: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
  // Heads of 5 KiB (over nginx's proxy_buffer_size of one 4 KiB page, under webserv's 8 KiB)
  // and of 10 KiB (over both).
  "head-5k": ok([TEXT, `X-Big: ${"b".repeat(5000)}`]),
  "head-10k": ok([TEXT, `X-Big: ${"b".repeat(10_000)}`]),
  // Smuggling-style framing, and heads that are not HTTP.
  "cl-te": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "te-cl": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
  "cl-two": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
  "cl-same": "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nok\n",
  "cl-list": "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nok\n",
  "cl-bad": "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok\n",
  "cl-neg": "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok\n",
  "cl-plus": "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nok\n",
  "te-gzip": "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok\n",
  "te-two": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "0\r\n\r\n",
  "te-http10": "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n",
  "space-colon": "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nok\n",
  "name-space": "HTTP/1.1 200 OK\r\nX Bad: 1\r\nContent-Length: 3\r\n\r\nok\n",
  "no-colon": "HTTP/1.1 200 OK\r\nX-No-Colon\r\nContent-Length: 3\r\n\r\nok\n",
  "obs-fold": "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 3\r\n\r\nok\n",
  "nul-value": "HTTP/1.1 200 OK\r\nX-Nul: a\0b\r\nContent-Length: 3\r\n\r\nok\n",
  "status-garbage": "garbage\r\n\r\n",
  "status-nocode": "HTTP/1.1 OK\r\nContent-Length: 3\r\n\r\nok\n",
  "status-long": "HTTP/1.1 2000 OK\r\nContent-Length: 3\r\n\r\nok\n",
  "status-999": "HTTP/1.1 999 Odd\r\nContent-Length: 3\r\n\r\nok\n",
  "status-noreason": "HTTP/1.1 200\r\nContent-Length: 3\r\n\r\nok\n",
  "status-http2": "HTTP/2.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
};

/** The table's answers (and "close", "silent") by the last segment of the request's path. */
function scriptServer(): Upstream {
  return tcpServer(async (input, port) => {
    const req = await readRequest(input);
    if (req === null) return;
    const path = (req.line.split(" ")[1] ?? "").split("?")[0]!;
    const key = path.slice(path.lastIndexOf("/") + 1);
    if (key === "close") return;
    if (key === "silent") return await input.end();
    let text = (SCRIPT[key] ?? answerText("599 Not In The Table", [], `${key}\n`))
      .replaceAll("@PORT@", String(port));
    const end = text.indexOf("\r\n\r\n");
    if (req.line.startsWith("HEAD ") && end >= 0 && key !== "head-body") {
      text = text.slice(0, end + 4);
    }
    await writeAll(input.conn, bytesOf(text));
    if (key === "stall") await input.end();
  });
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

// ---------------------------------------------------------------------------------------------
// The cases.

interface Case {
  /** Unique; also the key of KNOWN. */
  name: string;
  /** One request, or several sent one after the other (each once the previous one is answered). */
  request: string | string[];
  /**
   * What is compared: "echo", what the upstream received (the echo's JSON) and the status;
   * "answer", the client's answer (status, fields, body); "which", the status and the upstream
   * that answered (X-Upstream).
   */
  view: "echo" | "answer" | "which";
  /** The request is a HEAD: no body follows the response head. */
  head?: boolean;
  /** The client's address (default 127.0.0.1). */
  from?: string;
  /** The body is the server's own page (the auto-redirect's): not compared. */
  generated?: boolean;
}

/**
 * A request line, Host: localhost and Connection: close unless `headers` has its own, then
 * `headers`, and a body with its Content-Length unless `headers` frames it.
 */
function req(method: string, target: string, headers: string[] = [], body?: string): string {
  const has = (name: string) => headers.some((h) => h.toLowerCase().startsWith(`${name}:`));
  const lines = [`${method} ${target} HTTP/1.1`];
  if (!has("host")) lines.push("Host: localhost");
  if (!has("connection")) lines.push("Connection: close");
  lines.push(...headers);
  if (body !== undefined && !has("content-length") && !has("transfer-encoding")) {
    lines.push(`Content-Length: ${encoder.encode(body).length}`);
  }
  return [...lines, "", body ?? ""].join("\r\n");
}

const get = (target: string, headers: string[] = []) => req("GET", target, headers);
const repeat = (n: number, request: string) => Array<string>(n).fill(request);
const echo = (name: string, request: string | string[], more: Partial<Case> = {}): Case => ({
  name,
  request,
  view: "echo",
  ...more,
});
const answer = (name: string, request: string | string[], more: Partial<Case> = {}): Case => ({
  name,
  request,
  view: "answer",
  ...more,
});
const which = (name: string, request: string | string[]): Case => ({
  name,
  request,
  view: "which",
});
/** A GET of the scripted answer `key` through `location` (a prefix ending with "/"). */
const script = (location: string, key: string, more: Partial<Case> = {}) =>
  answer(`${location}${key}`, get(`${location}${key}`), more);
const INHERIT = "Host: inherit.test";

const CASES: Case[] = [
  // The URI: without a URI part in proxy_pass, the client's as it sent it; with one, the part the
  // location's prefix matched replaced by it, from the decoded and normalised path, encoded again.
  echo("GET /nouri/a?x=1 (no URI part: as sent)", get("/nouri/a?x=1")),
  echo("GET /nouri/ with encodings (as sent)", get("/nouri/a%2Fb/%7e/c%41?q=%20&r=a+b")),
  echo("GET /nouri//a/./b/../c (as sent)", get("/nouri//a/./b/../c")),
  echo("GET /uri/users?page=2 (prefix replaced)", get("/uri/users?page=2")),
  echo("GET /uri/ (the prefix alone)", get("/uri/")),
  echo("GET /uri/a%20b (encoded again)", get("/uri/a%20b")),
  echo("GET /uri/a%2Fb (a decoded slash)", get("/uri/a%2Fb")),
  echo("GET /uri/a%3Fb%23c (? and # encoded again)", get("/uri/a%3Fb%23c")),
  echo("GET /uri/%7Euser+x%2B (unreserved, +)", get("/uri/%7Euser+x%2B")),
  echo("GET /uri/caf%C3%A9 (UTF-8, encoded)", get("/uri/caf%C3%A9")),
  echo("GET /uri/café (UTF-8, raw)", bytesAsText(get("/uri/café"))),
  echo("GET /uri/%22%3C%3E%5C%5E%60%7B%7C%7D (specials)", get("/uri/%22%3C%3E%5C%5E%60%7B%7C%7D")),
  echo("GET /uri//x/./y/../z (normalised)", get("/uri//x/./y/../z")),
  echo("GET /uri/x? (empty query)", get("/uri/x?")),
  echo("GET /uri/x?q=%41&b=a%20b (query as sent)", get("/uri/x?q=%41&b=a%20b")),
  echo("GET /uri-noslash/x (URI without a slash)", get("/uri-noslash/x")),
  echo("GET /short/x (prefix without a slash)", get("/short/x")),
  echo("GET /shortcut (prefix without a slash)", get("/shortcut")),
  echo("GET /root-uri/a/b (URI /)", get("/root-uri/a/b")),
  echo("GET /exact?q=1 (exact location)", get("/exact?q=1")),
  echo("GET /regex/a%20b?q (regex location: as sent)", get("/regex/a%20b?q")),
  echo("GET /rw-break/x?q=1 (rewrite: URI part ignored)", get("/rw-break/x?q=1")),
  echo("GET /rw-break/a%20b (rewritten, encoded)", get("/rw-break/a%20b")),
  echo("GET /rw-nouri/x?q=1 (rewritten, no URI part)", get("/rw-nouri/x?q=1")),
  echo("GET /rw-args/x?q=1 (rewrite adds arguments)", get("/rw-args/x?q=1")),
  echo("GET /named/x?q=1 (named location)", get("/named/x?q=1")),
  echo("GET /upname/x (upstream name, URI part)", get("/upname/x")),
  echo("GET absolute-form http://other.test/nouri/abs", get("http://other.test/nouri/abs?x")),
  answer("HEAD /nouri/h", req("HEAD", "/nouri/h"), { head: true }),
  // The version and the connection.
  echo("GET /v11/x (proxy_http_version 1.1)", get("/v11/x")),
  echo('GET /keep/x (keepalive, 1.1, Connection "")', repeat(2, get("/keep/x"))),
  echo("GET /keep10/x (keepalive, proxy_http_version 1.0)", get("/keep10/x")),
  echo(
    "GET /ws/x Upgrade: websocket (Upgrade $http_upgrade)",
    get("/ws/x", ["Upgrade: websocket"]),
  ),
  echo("GET /ws/x without Upgrade (Upgrade $http_upgrade)", get("/ws/x")),
  echo(
    "GET /te/x (TE and Keep-Alive set from the client's)",
    get("/te/x", ["TE: trailers", "Keep-Alive: 300"]),
  ),
  // The client's fields passed or dropped.
  echo(
    "client fields: hop-by-hop and others",
    get("/nouri/fields", [
      "Connection: close, X-Hop",
      "X-Hop: 1",
      "Keep-Alive: 300",
      "TE: trailers",
      "Upgrade: h2c",
      "Proxy-Connection: keep-alive",
      "Proxy-Authorization: Basic YTpi",
      "Trailer: X-T",
      "Via: 1.1 other",
      "Forwarded: for=192.0.2.1",
      "X-Forwarded-For: 10.0.0.1",
      "X-Real-IP: 10.0.0.9",
      "Accept-Encoding: gzip",
      "Authorization: Bearer t",
      "User-Agent: diff/1",
      'If-None-Match: "v1"',
      "Range: bytes=0-1",
      "X-Spaces:   a  b   ",
      "x-lower: v",
    ]),
  ),
  echo("client fields: underscores", get("/nouri/underscore", ["X_Under: 1", "X-Ok: 1"])),
  echo("client fields: obs-text value", get("/nouri/latin", ["X-Latin: caf\xe9"])),
  echo(
    "client fields: repeated lines",
    get("/nouri/repeated", ["X-Dup: a", "X-Dup: b", "Cookie: a=1", "Cookie: b=2"]),
  ),
  echo(
    "client fields: Expect: 100-continue on a POST",
    req("POST", "/nouri/expect", ["Expect: 100-continue"], "hello"),
  ),
  // proxy_set_header with variables; an empty value drops the field.
  echo("set: no X-Forwarded-For", get("/set/a?a=1&b=2", ["User-Agent: ua/1"])),
  echo("set: one X-Forwarded-For", get("/set/b", ["X-Forwarded-For: 10.0.0.1"])),
  echo(
    "set: two X-Forwarded-For lines",
    get("/set/c", ["X-Forwarded-For: 10.0.0.1", "X-Forwarded-For: 10.0.0.2, 10.0.0.3"]),
  ),
  echo("set: from 127.0.0.2", get("/set/d", ["X-Forwarded-For: 10.0.0.1"]), { from: "127.0.0.2" }),
  echo("set: Host with case and port", get("/set/e", ["Host: Example.COM:8080"])),
  echo("set: empty X-Forwarded-For", get("/set/h", ["X-Forwarded-For:"])),
  echo("set: X-Multi twice ($http_x_multi)", get("/set/f", ["X-Multi: one", "X-Multi: two"])),
  echo(
    "set: client's Accept-Encoding and X-Empty (dropped)",
    get("/set/g", ["Accept-Encoding: gzip", "X-Empty: client", "X-Unset: client"]),
  ),
  echo("set: encoded URI ($uri, $request_uri)", get("/set/a%20b/../c?a=%41")),
  echo("host: Host $host", get("/host/a", ["Host: Example.COM:8080"])),
  echo("host: HTTP/1.0 without Host", "GET /host/b HTTP/1.0\r\n\r\n"),
  echo("host: absolute-form target", get("http://Other.TEST:81/host/c")),
  echo('nohost: Host ""', get("/nohost/a")),
  echo("host-up: $proxy_host of an upstream block", get("/host-up/a")),
  answer("port80: $proxy_host without :80", get("/port80/a")),
  answer("port-none: $proxy_host of a URL without a port", get("/port-none/a")),
  // Inheritance between the levels: http, server, location.
  echo("inherit: the server's fields", get("/inherit/a", [INHERIT])),
  echo("override: the location's own only", get("/override/a", [INHERIT])),
  echo("nested: the outer location's", get("/nested/inner/a", [INHERIT])),
  echo("version10: 1.0 over the server's 1.1", get("/version10/a", [INHERIT])),
  answer("hide-inherit: the server's proxy_hide_header", get("/hide-inherit/hidemix", [INHERIT])),
  answer("hide-override: the location's only", get("/hide-override/hidemix", [INHERIT])),
  // Request bodies.
  echo("POST with Content-Length", req("POST", "/nouri/post", [], "hello world")),
  echo(
    "PUT chunked",
    req(
      "PUT",
      "/nouri/chunked",
      ["Transfer-Encoding: chunked"],
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    ),
  ),
  echo("POST Content-Length: 0", req("POST", "/nouri/empty", [], "")),
  echo("POST without a body", req("POST", "/nouri/nobody")),
  echo("GET with a body", req("GET", "/nouri/getbody", [], "abcd")),
  echo("DELETE", req("DELETE", "/nouri/thing")),
  echo("OPTIONS", req("OPTIONS", "/nouri/opt")),
  // What the client gets.
  script("/resp/", "ok"),
  script("/resp/", "hidden"),
  script("/hide/", "hidden"),
  script("/resp/", "passed"),
  script("/resp/", "hop"),
  script("/resp/", "keep-alive"),
  script("/resp/", "accel-redirect"),
  script("/resp/", "accel-charset"),
  script("/resp/", "no-type"),
  script("/resp/", "r401"),
  script("/resp/", "r404"),
  script("/resp/", "r500"),
  script("/resp/", "r204"),
  script("/resp/", "r304"),
  answer("HEAD /resp/ok", req("HEAD", "/resp/ok"), { head: true }),
  script("/resp/", "chunked"),
  script("/resp/", "chunked-trailer"),
  script("/resp/", "close-10"),
  script("/resp/", "close-11"),
  script("/resp/", "short-body"),
  script("/resp/", "interim-100"),
  script("/resp/", "interim-103"),
  script("/resp/", "lf-only"),
  script("/resp/", "obs-text"),
  script("/resp/", "cl-extra"),
  answer("HEAD /resp/head-body (a body after all)", req("HEAD", "/resp/head-body"), { head: true }),
  script("/resp/", "head-5k"),
  script("/resp/", "head-10k"),
  // Location and Refresh.
  script("/redir/", "loc-own"),
  script("/redir/", "loc-root"),
  script("/redir/", "loc-rel"),
  script("/redir/", "loc-other"),
  script("/redir/", "loc-201"),
  script("/redir/", "refresh"),
  script("/redir/", "refresh-upper"),
  script("/redir-root/", "loc-root"),
  script("/redir-root/", "loc-own"),
  script("/redir-off/", "loc-own"),
  script("/redir-map/", "loc-other"),
  script("/redir-map/", "loc-localhost"),
  script("/redir-map/", "loc-rel"),
  script("/redir-map/", "loc-own"),
  script("/redir-plus/", "loc-own"),
  script("/redir-plus/", "loc-other"),
  script("/redir-var/", "loc-own"),
  script("/redir-name/", "loc-name"),
  // Upstream errors as they are, or intercepted (proxy_intercept_errors and error_page).
  script("/intercept/", "r404"),
  script("/intercept/", "r500"),
  script("/intercept/", "r302"),
  script("/intercept/", "r401"),
  script("/intercept/", "r403"),
  script("/intercept/", "ok"),
  script("/nointercept/", "r404"),
  answer("GET /err500 (return's text, no proxy)", get("/err500")),
  // Failures: refused, silent, and framing that could split or smuggle a response.
  answer("GET /refused/ (connection refused)", get("/refused/")),
  answer("GET /silent/silent (proxy_read_timeout 300ms)", get("/silent/silent")),
  answer("GET /silent/stall (timeout in the body)", get("/silent/stall")),
  answer("GET /all-dead/ twice (no live upstreams)", repeat(2, get("/all-dead/x"))),
  script("/resp/", "cl-te"),
  script("/resp/", "te-cl"),
  script("/resp/", "cl-two"),
  script("/resp/", "cl-same"),
  script("/resp/", "cl-list"),
  script("/resp/", "cl-bad"),
  script("/resp/", "cl-neg"),
  script("/resp/", "cl-plus"),
  script("/resp/", "te-gzip"),
  script("/resp/", "te-two"),
  script("/resp/", "te-http10"),
  script("/resp/", "space-colon"),
  script("/resp/", "name-space"),
  script("/resp/", "no-colon"),
  script("/resp/", "obs-fold"),
  script("/resp/", "nul-value"),
  script("/resp/", "status-garbage"),
  script("/resp/", "status-nocode"),
  script("/resp/", "status-long"),
  script("/resp/", "status-999"),
  script("/resp/", "status-noreason"),
  script("/resp/", "status-http2"),
  // A proxied prefix location without its slash: nginx's auto-redirect.
  answer("GET /resp (auto-redirect)", get("/resp"), { generated: true }),
  answer("GET /uri?x=1 (auto-redirect with arguments)", get("/uri?x=1"), { generated: true }),
  answer("HEAD /upname (auto-redirect)", req("HEAD", "/upname"), { generated: true, head: true }),
  answer("POST /resp (auto-redirect)", req("POST", "/resp", [], "a=1"), { generated: true }),
  answer("GET /nested/inner (auto-redirect, nested)", get("/nested/inner", [INHERIT]), {
    generated: true,
  }),
  echo("GET /exact/ (no auto-redirect from an exact location)", get("/exact/")),
  // Balancing: smooth weighted round robin, down and backup servers.
  which("round robin, weights 3:1:2, 12 in a row", repeat(12, get("/rr-weighted/x"))),
  which("round robin, equal weights, 6 in a row", repeat(6, get("/rr-even/x"))),
  which("round robin with a server down, 4 in a row", repeat(4, get("/rr-down/x"))),
  which("backup unused while a primary is up, 3 in a row", repeat(3, get("/backup-one/x"))),
  which("backup when the primaries are down, 3 in a row", repeat(3, get("/backup-all/x"))),
  // Retries on the next server: after the first closes without answering, idempotent only.
  which("GET retried after a close", get("/retry-get/close")),
  which("HEAD retried after a close", req("HEAD", "/retry-head/close")),
  which("POST not retried after a close", req("POST", "/retry-post/close", [], "a=1")),
  which("PATCH not retried after a close", req("PATCH", "/retry-patch/close", [], "a=1")),
  which("LOCK not retried after a close", req("LOCK", "/retry-lock/close")),
  which("PUT retried after a close", req("PUT", "/retry-put/close", [], "a=1")),
  which("DELETE retried after a close", req("DELETE", "/retry-delete/close")),
  which("OPTIONS retried after a close", req("OPTIONS", "/retry-options/close")),
  echo("POST retried after a refused connect", req("POST", "/retry-post-refused/x", [], "a=1")),
  echo("POST retried with non_idempotent", req("POST", "/retry-nonidem/close", [], "a=1")),
  which("GET not retried with proxy_next_upstream off", get("/retry-off/close")),
  which("GET retried after a 500 with http_500", get("/retry-500/r500")),
  which("GET not retried after a 500 without http_500", get("/retry-500-no/r500")),
  which("GET retried after a 404 with http_404", get("/retry-404/r404")),
  which("GET not retried with proxy_next_upstream_tries 1", get("/retry-tries/close")),
  which("GET retried after a timeout", get("/retry-timeout/silent")),
  which(
    "GET retried after an invalid header with invalid_header",
    get("/retry-invalid/space-colon"),
  ),
];

/** A request whose non-ASCII characters go as their UTF-8 bytes, one character per byte. */
function bytesAsText(request: string): string {
  return latin1(encoder.encode(request));
}

/**
 * Framing nginx 1.22 accepts and webserv refuses with nginx's checks since 1.23.0 (its commit
 * d22157fad, "Upstream: header handlers can now return parsing errors").
 */
const SINCE_1_23 = "webserv refuses ambiguous or invalid framing with a 502, as nginx does since " +
  "1.23.0 (its errors: upstream sent duplicate header line, Content-Length and Transfer-Encoding " +
  "headers at the same time, invalid Content-Length, unknown Transfer-Encoding); nginx 1.22 " +
  "guesses a length and answers 200";

/** An upstream's 1xx. */
const INTERIM = "webserv skips an upstream's interim answers and passes the final one (RFC 9110 " +
  "§15.2: a 1xx is no answer); nginx 1.22 takes the 1xx for the final answer, sends its own " +
  "head for it and the upstream's real answer after it as a body";

/** A status line that is not HTTP/1.x. */
const HTTP_09 = "webserv answers 502 to an upstream that does not speak HTTP/1.x; nginx " +
  '("upstream sent no valid HTTP/1.0 header") takes it for HTTP/0.9 and passes its bytes on ' +
  "without a head of its own: the client parses the upstream's bytes as the answer";

/**
 * Requests whose answers differ, with the reason: each a deliberate or acceptable difference
 * (webserv bugs are not listed: the test fails on them). Each must still differ: when one starts
 * to agree, delete its line.
 */
const KNOWN: Record<string, string> = {
  "GET /uri/café (UTF-8, raw)": "webserv always sends a valid request-target, its bytes outside " +
    "ASCII percent-encoded (RFC 3986 §2.1, RFC 9112 §3.2); nginx escapes the path it sends only " +
    "when the client's had a %-escape (r->quoted_uri), so raw bytes go on raw",
  "GET /keep10/x (keepalive, proxy_http_version 1.0)": "README: `keepalive N` alone makes " +
    "upstream connections persistent, as HTTP/1.1 without Connection: close; nginx keeps " +
    "proxy_http_version 1.0 and Connection: close, so the upstream closes and nothing is kept",
  "set: X-Multi twice ($http_x_multi)": 'webserv\'s $http_… joins repeated lines with ", ", as ' +
    'nginx does since 1.23.0 (CHANGES: "combines arbitrary header lines with identical names … ' +
    'during lookup of the $http_... variables"); nginx 1.22 takes the first line',
  "/resp/hop": "webserv drops every hop-by-hop field of RFC 9110 §7.6.1 and those Connection " +
    "names (lib/proxy/response_framing.ts); nginx drops only Connection, Keep-Alive and " +
    "Transfer-Encoding and passes Upgrade, TE, Trailer, Proxy-Connection and the fields " +
    "Connection names",
  "/resp/interim-100": INTERIM,
  "/resp/interim-103": INTERIM,
  "/resp/head-5k": "limits differ: webserv reads an upstream head up to 8 KiB (README), nginx " +
    'up to proxy_buffer_size, one memory page (4 KiB here): "upstream sent too big header"',
  "/intercept/r302": 'README: proxy_intercept_errors takes answers of 400 or more ("nginx also ' +
    "intercepts 3xx\"): an upstream's redirect always reaches the client",
  "GET /silent/stall (timeout in the body)": "README: the answer always streams " +
    "(proxy_buffering off), so the 3 bytes read before the timeout reach the client; nginx " +
    "buffers them (proxy_buffering on) and drops them with the connection. Both cut the answer " +
    "short of its Content-Length",
  "/resp/cl-te": SINCE_1_23,
  "/resp/te-cl": SINCE_1_23,
  "/resp/cl-two": SINCE_1_23,
  "/resp/cl-same": SINCE_1_23,
  "/resp/cl-list": SINCE_1_23,
  "/resp/cl-bad": SINCE_1_23,
  "/resp/cl-neg": SINCE_1_23,
  "/resp/cl-plus": SINCE_1_23,
  "/resp/te-gzip": SINCE_1_23,
  "/resp/te-two": SINCE_1_23,
  "/resp/te-http10": "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing " +
    "(lib/proxy/response_framing.ts): 502; nginx decodes the chunks",
  "/resp/no-colon": "a field line without a colon is malformed (RFC 9112 §5), as webserv " +
    "answers a client's with 400 (README); nginx takes it for an empty field and passes it on",
  "/resp/status-garbage": HTTP_09,
  "/resp/status-nocode": HTTP_09,
  "/resp/status-long": HTTP_09,
  "/resp/status-999": "RFC 9110 §15: a status code is 100 to 599, others are invalid: 502; " +
    "nginx passes any three digits",
  "/resp/status-http2": "the upstream speaks HTTP/1.x on that connection (RFC 9112 §2.3): an " +
    "HTTP/2.0 status line is invalid, 502; nginx takes any version digits",
};

// ---------------------------------------------------------------------------------------------
// The client.

/** A response, or why there was none ("no response", "timeout", a socket error). */
type Outcome = RawResponse | { error: string };

interface RawResponse {
  status: number;
  /** The interim (1xx) statuses before it. */
  interim: number[];
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  text: string;
}

/** Decodes a chunked body, or null when it is cut short or malformed. */
function dechunk(bytes: Uint8Array): Uint8Array | null {
  const parts: Uint8Array[] = [];
  for (let at = 0;;) {
    const end = indexOf(bytes, CRLF, at);
    if (end < 0) return null;
    const size = parseInt(latin1(bytes.subarray(at, end)), 16);
    if (Number.isNaN(size) || end + 2 + size > bytes.length) return null;
    if (size === 0) break;
    parts.push(bytes.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** The response in `bytes` (everything the server sent before it closed), past any 1xx. */
function parse(bytes: Uint8Array, head: boolean): Outcome {
  const interim: number[] = [];
  for (let from = 0;;) {
    const end = indexOf(bytes, CRLFCRLF, from);
    if (end < 0) {
      const rest = latin1(bytes.subarray(from));
      return { error: rest.length === 0 ? "no response" : `no head in "${rest}"` };
    }
    const [statusLine = "", ...lines] = latin1(bytes.subarray(from, end)).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (m === null) return { error: `bad status line "${statusLine}"` };
    const status = Number(m[1]);
    if (status >= 100 && status < 200 && status !== 101) {
      interim.push(status);
      from = end + 4;
      continue;
    }
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    let body = bytes.subarray(end + 4);
    if (head || status === 204 || status === 304) {
      body = new Uint8Array(0);
    } else if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
      const decoded = dechunk(body);
      if (decoded === null) return { error: "bad chunked body" };
      body = decoded;
    } else if (headers.has("content-length")) {
      const length = Number(headers.get("content-length"));
      if (body.length < length) return { error: `body ${length - body.length} bytes short` };
      body = body.subarray(0, length);
    }
    return { status, interim, headers, text: latin1(body) };
  }
}

/**
 * Sends `request` (one byte per character) from `from` on a new connection and reads until the
 * server closes it (every request says Connection: close or is HTTP/1.0), within DEADLINE_MS.
 */
function exchange(port: number, request: string, head: boolean, from = "127.0.0.1") {
  return new Promise<Outcome>((resolve) => {
    const chunks: Uint8Array[] = [];
    let failure: string | null = null;
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    const timer = setTimeout(() => {
      failure = "timeout";
      socket.destroy();
    }, DEADLINE_MS);
    socket.on("connect", () => socket.write(bytesOf(request)));
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", (e: Error) => failure ??= e.message);
    socket.on("close", () => {
      clearTimeout(timer);
      const bytes = Uint8Array.from(chunks.flatMap((c) => [...c]));
      // A reset after the whole answer still leaves the answer.
      const outcome = parse(bytes, head);
      resolve("error" in outcome && failure !== null ? { error: failure } : outcome);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// What is compared.

const utf8 = new TextDecoder();

/** A value of one character per byte, bytes outside ASCII written <NN> (as they went on the wire). */
function visible(value: string): string {
  return value.replace(/[\x80-\xff]/g, (c) => `<${c.charCodeAt(0).toString(16).toUpperCase()}>`);
}

/** The fields of one answer both servers should agree on, field → value as it was sent. */
function view(c: Case, r: Outcome): Map<string, string> {
  const fields = viewOf(c, r);
  for (const [name, value] of fields) fields.set(name, visible(value));
  return fields;
}

/** The fields of one answer both servers should agree on, field → normalised value. */
function viewOf(c: Case, r: Outcome): Map<string, string> {
  const fields = new Map<string, string>();
  if ("error" in r) {
    fields.set("status", r.error);
    return fields;
  }
  fields.set("status", String(r.status));
  if (r.interim.length > 0) fields.set("interim", r.interim.join(" "));
  if (c.view === "which") {
    fields.set("upstream", r.headers.get("x-upstream") ?? "(none)");
    return fields;
  }
  if (c.view === "echo") {
    let seen: Received & { name: string };
    try {
      // The echo's JSON is UTF-8; its strings have one character per byte the echo received.
      seen = JSON.parse(utf8.decode(bytesOf(r.text)));
    } catch {
      // Not the echo's answer: a page of the server's own (its 404, 502, 504).
      return fields;
    }
    fields.set("upstream", seen.name);
    fields.set("line", seen.line);
    const values = new Map<string, string[]>();
    for (const [name, value] of seen.headers) values.set(name, [...values.get(name) ?? [], value]);
    for (const [name, list] of values) {
      fields.set(`> ${name}`, list.length === 1 ? list[0]! : JSON.stringify(list));
    }
    fields.set("> body", seen.body);
    return fields;
  }
  // The servers' own pages (errors, the auto-redirect) are theirs: their status and fields only.
  const own = c.generated || r.status === 502 || r.status === 504;
  for (const [name, value] of r.headers) {
    // How the answer is framed for the client is each server's choice: its body is compared.
    if (name === "transfer-encoding") continue;
    if (own && (name === "content-type" || name === "content-length")) continue;
    if (name === "date") fields.set(name, value === UPSTREAM_DATE ? value : "(own)");
    else if (name === "server") {
      fields.set(name, /^(nginx|webserv)(\/|$)/.test(value) ? "(own)" : value);
    } else fields.set(name, value);
  }
  if (!own && !c.head) fields.set("body", r.text);
  return fields;
}

/** The answers to a case's requests, sent one after the other: each field's values in order. */
async function run(port: number, c: Case): Promise<Map<string, string>> {
  const requests = typeof c.request === "string" ? [c.request] : c.request;
  const views: Map<string, string>[] = [];
  for (const request of requests) {
    views.push(view(c, await exchange(port, request, c.head ?? false, c.from)));
  }
  if (views.length === 1) return views[0]!;
  const fields = new Map<string, string>();
  for (const name of new Set(views.flatMap((v) => [...v.keys()]))) {
    fields.set(name, views.map((v) => v.get(name) ?? "(absent)").join(", "));
  }
  return fields;
}

/** One table cell: JSON-quoted, at most `max` characters, with pipes escaped. */
function cell(value: string, max = 40): string {
  const text = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(text).slice(1, -1).replaceAll("|", "\\|");
}

// ---------------------------------------------------------------------------------------------
// The servers.

function startNginx(servers: string): Promise<Nginx> {
  return startNginxFrom(
    "proxy",
    async (prefix) =>
      (await Deno.readTextFile(join(DATA, "nginx.conf")))
        .replaceAll("@USER@", Deno.uid() === 0 ? "user root;" : "")
        .replaceAll("@PREFIX@", prefix)
        .replace(/^@SERVERS@$/m, () => servers.replaceAll("@LISTEN@", "127.0.0.1:@PORT@")),
  );
}

Deno.test({
  name: NGINX_MISSING === null
    ? "webserv proxies like nginx's proxy_pass but for the known differences"
    : `webserv proxies like nginx's proxy_pass (skipped: ${NGINX_MISSING})`,
  ignore: NGINX_MISSING !== null,
  async fn() {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "Case names repeat");
    for (const name of Object.keys(KNOWN)) {
      assert.ok(CASES.some((c) => c.name === name), `Known difference "${name}" has no case`);
    }
    const upstreams = {
      ECHO: echoServer("echo"),
      SCRIPT: scriptServer(),
      A: echoServer("A"),
      B: echoServer("B"),
      C: echoServer("C"),
    };
    const dir = await Deno.makeTempDir({ prefix: "webserv-proxy-diff-" });
    let ours: RunningServer | null = null;
    let nginx: Nginx | null = null;
    try {
      let servers = await Deno.readTextFile(join(DATA, "servers.conf"));
      for (const [name, upstream] of Object.entries(upstreams)) {
        servers = servers.replaceAll(`@${name}@`, String(upstream.port));
      }
      servers = servers.replaceAll("@DEAD@", String(closedPort()));
      // webserv reads its config from a file of its own, next to its error log.
      const file = join(dir, "webserv.conf");
      await Deno.writeTextFile(
        file,
        (await Deno.readTextFile(join(DATA, "webserv.conf")))
          .replaceAll("@LOG@", join(dir, "error.log"))
          .replace(/^@SERVERS@$/m, () => servers.replaceAll("@LISTEN@", "127.0.0.1:0")),
      );
      const loaded = await loadConfig(file);
      assert.deepEqual(loaded.warnings, [], "webserv.conf has warnings");
      ours = await startServer(loaded.config);
      const port = ours.addrs[0]!.port;
      nginx = await startNginx(servers);
      const rows: string[] = [];
      const unexpected: string[] = [];
      const stale: string[] = [];
      for (const c of CASES) {
        const a = await run(port, c);
        const b = await run(nginx.port, c);
        const diffs = differences(a, b);
        if (Deno.env.get("DIFF_VERBOSE")) {
          console.log(c.name, JSON.stringify([...a]), JSON.stringify([...b]));
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
            `| ${cell(c.name, 60)} | ${d.field} | ${cell(d.ours)} | ${cell(d.nginx)} | ` +
              `${known === undefined ? "**unexpected**" : cell(known, 400)} |`,
          );
        }
      }
      console.log(
        [
          `\nwebserv vs nginx, proxy_pass: ${CASES.length} requests or sequences, ${
            CASES.length - unexpected.length - Object.keys(KNOWN).length + stale.length
          } alike`,
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
      const verbose = Deno.env.get("DIFF_VERBOSE") !== undefined;
      if (verbose) console.log(`nginx's error log:\n${await nginx?.errorLog()}`);
      // Each step even if one before it failed: no process, socket or file is left behind.
      await nginx?.stop().catch((e) => console.error("stopping nginx:", e));
      await ours?.shutdown().catch((e) => console.error("stopping webserv:", e));
      for (const upstream of Object.values(upstreams)) await upstream.close();
      if (verbose) {
        const log = await Deno.readTextFile(join(dir, "error.log")).catch(() => "");
        console.log(`webserv's error log:\n${log}`);
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
