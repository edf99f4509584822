/**
 * Hostile input: a corpus of malformed requests (raw bytes → expected status, or "closed"). Each is
 * answered with its status and the connection closed, never a crash, and after each a normal
 * request on a new connection is still answered 200.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient, rawRequest, type RawResponse } from "./_client.ts";
import { serverProblems, type TestServer, withErrorLog } from "./_server.ts";

const HOSTILE = join(import.meta.dirname!, "..", "testdata", "hostile");
const H2_BYTES = await Deno.readFile(join(HOSTILE, "h2_prior_knowledge.bin"));
const TLS_BYTES = await Deno.readFile(join(HOSTILE, "tls_client_hello.bin"));

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  client_header_timeout 2s;
  client_body_timeout 2s;
  location /up/ { upload_store up; }
}
`;
const FILES = { "site/index.html": "home\n", "up/README.txt": "uploads\n" };

/** A status the server must answer, or "closed": the connection ends with no response. */
type Expected = number | "closed";

/** Bytes from a string, one byte per char (latin1), so that any byte can be written. */
function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Deterministic bytes (mulberry32), for garbage that is the same on every run. */
function garbage(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = seed;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  // Starts with a byte no request line may start with.
  out[0] = 0xff;
  return out;
}

const H = "Host: x\r\n";
const POST_UP = `POST /up/f HTTP/1.1\r\n${H}`;
const CHUNKED = "Transfer-Encoding: chunked\r\n\r\n";

/** [expected, description, raw bytes] — latin1 strings or bytes. */
const CORPUS: [Expected, string, string | Uint8Array][] = [
  // Request lines.
  [400, "lone garbage word", "HELLO\r\n\r\n"],
  [400, "HTTP/0.9 request (no version)", "GET /\r\n\r\n"],
  [400, "two spaces after the method", `GET  / HTTP/1.1\r\n${H}\r\n`],
  [400, "tab instead of a space", `GET\t/ HTTP/1.1\r\n${H}\r\n`],
  [400, "space after the version", `GET / HTTP/1.1 \r\n${H}\r\n`],
  [400, "misspelt version", `GET / HTPT/1.1\r\n${H}\r\n`],
  [400, "version with letters", `GET / HTTP/1.x\r\n${H}\r\n`],
  [505, "HTTP/2.0 request line", `GET / HTTP/2.0\r\n${H}\r\n`],
  [505, "HTTP/3.0 request line", `GET / HTTP/3.0\r\n${H}\r\n`],
  [200, "HTTP/1.2 is served as HTTP/1.1", `GET / HTTP/1.2\r\n${H}\r\n`],
  [501, "lower-case method", `get / HTTP/1.1\r\n${H}\r\n`],
  [501, "unknown method", `BREW / HTTP/1.1\r\n${H}\r\n`],
  [414, "10 KB method", `${"A".repeat(10_000)} / HTTP/1.1\r\n${H}\r\n`],
  [414, "1 MB request line", `GET /${"a".repeat(1 << 20)} HTTP/1.1\r\n${H}\r\n`],
  [400, "CONNECT authority-form", `CONNECT x:443 HTTP/1.1\r\n${H}\r\n`],
  [400, "asterisk-form with GET", `GET * HTTP/1.1\r\n${H}\r\n`],
  [400, "asterisk-form with OPTIONS (nginx answers 400 too)", `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  [200, "absolute-form target", `GET http://x/index.html HTTP/1.1\r\nHost: other\r\n\r\n`],
  [400, "absolute-form without authority", `GET http:///index.html HTTP/1.1\r\n${H}\r\n`],
  [400, "relative target", `GET index.html HTTP/1.1\r\n${H}\r\n`],
  // Control characters and line endings.
  [200, "bare LF line endings (accepted)", "GET / HTTP/1.1\nHost: x\n\n"],
  [400, "bare CR in the request line", `GET / HTTP/1.1\r${H}\r\n`],
  [400, "bare CR in a header line", `GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n`],
  [400, "bare CR ending the head", `GET / HTTP/1.1\r\n${H}\r\r\n`],
  [400, "NUL in the request target", `GET /a\0b HTTP/1.1\r\n${H}\r\n`],
  [400, "DEL in the request target", `GET /\x7f HTTP/1.1\r\n${H}\r\n`],
  [400, "ESC in the request target", `GET /\x1b[2J HTTP/1.1\r\n${H}\r\n`],
  [400, "control character in a header value", `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`],
  [400, "NUL in a header value", `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`],
  [400, "NUL in a header name", `GET / HTTP/1.1\r\n${H}X\0: b\r\n\r\n`],
  [400, "obs-fold", `GET / HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`],
  [400, "whitespace before the first header", `GET / HTTP/1.1\r\n ${H}\r\n`],
  [400, "space before a colon", `GET / HTTP/1.1\r\nHost : x\r\n\r\n`],
  [400, "header line without a colon", `GET / HTTP/1.1\r\n${H}Broken\r\n\r\n`],
  [400, "empty header name", `GET / HTTP/1.1\r\n${H}: x\r\n\r\n`],
  [400, "header name with a separator", `GET / HTTP/1.1\r\n${H}X(y): z\r\n\r\n`],
  // Host.
  [400, "HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n"],
  [400, "two Host headers", `GET / HTTP/1.1\r\n${H}Host: y\r\n\r\n`],
  [400, "Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"],
  [400, "Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"],
  // Content-Length and Transfer-Encoding.
  [400, "negative Content-Length", `${POST_UP}Content-Length: -1\r\n\r\n`],
  [400, "Content-Length with a plus sign", `${POST_UP}Content-Length: +1\r\n\r\nx`],
  [400, "hex Content-Length", `${POST_UP}Content-Length: 0x10\r\n\r\n`],
  [400, "empty Content-Length", `${POST_UP}Content-Length:\r\n\r\n`],
  [400, "Content-Length above 2^53", `${POST_UP}Content-Length: ${"9".repeat(30)}\r\n\r\n`],
  [
    413,
    "Content-Length 2^53 - 1 (over client_max_body_size)",
    `${POST_UP}Content-Length: 9007199254740991\r\n\r\n`,
  ],
  [
    400,
    "two different Content-Lengths",
    `${POST_UP}Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy`,
  ],
  [400, "Content-Length list with different values", `${POST_UP}Content-Length: 1, 2\r\n\r\nxy`],
  [
    400,
    "Content-Length and Transfer-Encoding",
    `${POST_UP}Content-Length: 5\r\n${CHUNKED}0\r\n\r\n`,
  ],
  [501, "Transfer-Encoding: gzip, chunked", `${POST_UP}Transfer-Encoding: gzip, chunked\r\n\r\n`],
  [400, "Transfer-Encoding: chunked, gzip", `${POST_UP}Transfer-Encoding: chunked, gzip\r\n\r\n`],
  [501, "Transfer-Encoding: identity", `${POST_UP}Transfer-Encoding: identity\r\n\r\n`],
  [400, "Transfer-Encoding in HTTP/1.0", `POST /up/f HTTP/1.0\r\n${CHUNKED}0\r\n\r\n`],
  [400, "chunk size that is not hex", `${POST_UP}${CHUNKED}zz\r\nabc\r\n0\r\n\r\n`],
  [400, "negative chunk size", `${POST_UP}${CHUNKED}-1\r\nx\r\n0\r\n\r\n`],
  [400, "chunk size with 0x", `${POST_UP}${CHUNKED}0x3\r\nabc\r\n0\r\n\r\n`],
  [400, "chunk size overflow", `${POST_UP}${CHUNKED}${"f".repeat(40)}\r\nabc\r\n0\r\n\r\n`],
  [
    400,
    "chunk size that wraps to 5",
    `${POST_UP}${CHUNKED}10000000000000005\r\nabcde\r\n0\r\n\r\n`,
  ],
  [400, "empty chunk size", `${POST_UP}${CHUNKED}\r\nabc\r\n0\r\n\r\n`],
  [400, "chunk data longer than its size", `${POST_UP}${CHUNKED}2\r\nabc\r\n0\r\n\r\n`],
  [400, "chunk-size line of 8 KB", `${POST_UP}${CHUNKED}1;${"e".repeat(8192)}\r\nx\r\n0\r\n\r\n`],
  [
    413,
    "Expect: 100-continue with a body over the limit",
    `${POST_UP}Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n`,
  ],
  [417, "unknown expectation", `GET / HTTP/1.1\r\n${H}Expect: everything\r\n\r\n`],
  // Paths.
  [400, "%00 in the path", `GET /index.html%00.txt HTTP/1.1\r\n${H}\r\n`],
  [400, "overlong UTF-8 slash (%c0%af)", `GET /..%c0%af..%c0%afetc/passwd HTTP/1.1\r\n${H}\r\n`],
  [400, "overlong UTF-8 dot, raw bytes", `GET /\xc0\xae\xc0\xae/x HTTP/1.1\r\n${H}\r\n`],
  [400, "invalid UTF-8 (lone continuation byte)", `GET /%80 HTTP/1.1\r\n${H}\r\n`],
  [400, "bad percent escape", `GET /%zz HTTP/1.1\r\n${H}\r\n`],
  [400, "truncated percent escape", `GET /a% HTTP/1.1\r\n${H}\r\n`],
  [400, "%2e%2e/ above the root", `GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n${H}\r\n`],
  [400, "../ above the root", `GET /../../etc/passwd HTTP/1.1\r\n${H}\r\n`],
  [400, "%2e%2e%2f above the root", `GET /%2e%2e%2f%2e%2e%2fetc/passwd HTTP/1.1\r\n${H}\r\n`],
  [200, "%2e%2e/ that stays under the root", `GET /up/%2e%2e/index.html HTTP/1.1\r\n${H}\r\n`],
  [404, "backslashes are plain characters", `GET /..%5c..%5cetc%5cpasswd HTTP/1.1\r\n${H}\r\n`],
  [404, "valid UTF-8 name that does not exist", `GET /caf\xc3\xa9 HTTP/1.1\r\n${H}\r\n`],
  // Other protocols and garbage.
  [505, "HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
  [505, "HTTP/2 prior-knowledge bytes (curl)", H2_BYTES],
  [400, "TLS ClientHello (openssl s_client)", TLS_BYTES],
  [400, "4 KB of binary garbage", garbage(6, 4096)],
  [400, "SSH banner", "SSH-2.0-OpenSSH_9.6\r\n"],
  [
    200,
    "h2c upgrade request is served as HTTP/1.1",
    `GET / HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`,
  ],
  ["closed", "only empty lines, then the end of the stream", "\r\n\r\n\n\n"],
  ["closed", "half a request line, then the end of the stream", "GET /index.ht"],
  ["closed", "half a head, then the end of the stream", `GET / HTTP/1.1\r\n${H}X-A`],
  // Sizes.
  [431, "10 000 headers", `GET / HTTP/1.1\r\n${H}${"X-A: b\r\n".repeat(10_000)}\r\n`],
  [431, "1 MB header line", `GET / HTTP/1.1\r\n${H}X: ${"a".repeat(1 << 20)}\r\n\r\n`],
  [
    431,
    "101 small headers (max_headers 100)",
    `GET / HTTP/1.1\r\n${H}${"A: b\r\n".repeat(100)}\r\n`,
  ],
];

/**
 * Sends `raw` on a new connection and half-closes it (so a server waiting for more sees the end of
 * the stream), while reading the first response, if any. Write errors are expected (the server may
 * answer and close before it has read everything).
 */
async function exchange(port: number, raw: Uint8Array): Promise<RawResponse | "closed"> {
  const client = await RawClient.connect(port);
  try {
    const sent = client.send(raw).then(() => client.conn.closeWrite()).catch(() => {});
    let res: RawResponse | "closed";
    try {
      res = await client.read();
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("Connection closed before")) throw e;
      assert.equal(client.leftover, "", "partial response");
      res = "closed";
    }
    if (res !== "closed" && res.headers.get("connection") === "close") {
      assert.ok(await client.closedByServer());
    }
    await sent;
    return res;
  } finally {
    client.close();
  }
}

/** Runs `fn` against the server and returns its error log (level info: client errors too). */
function loggedRun(fn: (s: TestServer) => Promise<void>, level = "info"): Promise<string[]> {
  return withErrorLog(CONFIG, FILES, fn, level);
}

Deno.test("hostile corpus: each malformed request gets its status (or is closed) and the server keeps serving", async () => {
  const lines = await loggedRun(async ({ port }) => {
    const failures: string[] = [];
    for (const [expected, name, raw] of CORPUS) {
      const bytes = typeof raw === "string" ? latin1(raw) : raw;
      const res = await exchange(port, bytes);
      const got = res === "closed" ? "closed" : res.status;
      if (got !== expected) failures.push(`${name}: expected ${expected}, got ${got}`);
      if (res !== "closed" && res.status >= 400 && res.status !== 404) {
        if (res.headers.get("connection") !== "close") failures.push(`${name}: not closed`);
      }
      const ok = await rawRequest(port, `GET / HTTP/1.1\r\n${H}\r\n`);
      assert.equal(ok.status, 200, `after "${name}"`);
      assert.equal(ok.text, "home\n", `after "${name}"`);
    }
    assert.deepEqual(failures, []);
  });
  assert.deepEqual(serverProblems(lines), []);
});

Deno.test("hostile corpus: each request sent one byte at a time gets the same answer", async () => {
  // The parser is incremental: an error must be found however the bytes are split.
  const small = CORPUS.filter(([, , raw]) => raw.length < 200);
  const lines = await loggedRun(async ({ port }) => {
    const failures: string[] = [];
    await Promise.all(small.map(async ([expected, name, raw]) => {
      const bytes = typeof raw === "string" ? latin1(raw) : raw;
      const client = await RawClient.connect(port);
      try {
        client.noDelay();
        const sent = (async () => {
          for (let i = 0; i < bytes.length; i++) await client.send(bytes.subarray(i, i + 1));
          await client.conn.closeWrite();
        })().catch(() => {});
        let got: Expected;
        try {
          got = (await client.read()).status;
        } catch (e) {
          if (!(e instanceof Error) || !e.message.startsWith("Connection closed before")) throw e;
          got = "closed";
        }
        await sent;
        if (got !== expected) failures.push(`${name}: expected ${expected}, got ${got}`);
      } finally {
        client.close();
      }
    }));
    assert.deepEqual(failures, []);
    assert.equal((await rawRequest(port, `GET / HTTP/1.1\r\n${H}\r\n`)).status, 200);
  });
  assert.deepEqual(serverProblems(lines), []);
});

Deno.test("a discarded body that ends early or badly is the client's fault, not logged as a server error", async () => {
  // After answering (405 here) the server discards the unread body to keep the connection; a
  // client that leaves or sends a bad chunk then must end it quietly, like any other 400.
  const cases = [
    `POST /index.html HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nbody`,
    `POST /index.html HTTP/1.1\r\n${H}${CHUNKED}zz\r\n`,
    `POST /index.html HTTP/1.1\r\n${H}${CHUNKED}0\r\nBad\rtrailer\r\n\r\n`,
  ];
  const lines = await loggedRun(async ({ port }) => {
    for (const raw of cases) {
      const res = await exchange(port, latin1(raw));
      assert.equal(res === "closed" ? "closed" : res.status, 405);
    }
  });
  assert.deepEqual(serverProblems(lines), []);
});

Deno.test("client mistakes are logged at info, below the default level: a flood writes no error line", async () => {
  const flood = async ({ port }: TestServer) => {
    for (let i = 0; i < 50; i++) {
      const res = await exchange(port, latin1(`GET / HTTP/1.1\r\n${H}Bad Header\r\n\r\n`));
      assert.equal(res === "closed" ? "closed" : res.status, 400);
    }
  };
  // nginx's default level is `error`: nothing at all is written.
  assert.deepEqual(await loggedRun(flood, "error"), []);
  const lines = await loggedRun(flood, "info");
  assert.equal(lines.filter((l) => / \[info\] \d+#0: 127\.0\.0\.1: 400 /.test(l)).length, 50);
  assert.deepEqual(serverProblems(lines), []);
});
