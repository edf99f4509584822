/**
 * Request smuggling (RFC 9112 §6.3): ambiguous framing is rejected, and bytes that are a body are
 * never taken for a request. Every case hides "GET /secret" where some parser would see a second
 * request; /secret answers a marker, which must never come back (except in the control case).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient } from "./_client.ts";
import { startTestServer, type TestServer } from "./_server.ts";

const TESTDATA = join(import.meta.dirname!, "..", "testdata", "cgi");
const MARKER = "SMUGGLED-7f3a9c";

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  client_header_timeout 2s;
  client_body_timeout 500ms;
  location = /secret { return 200 "${MARKER}"; }
  location /up/ { upload_store up; }
  location /small/ { upload_store up; client_max_body_size 10; }
  location /big/ { client_max_body_size 0; }
  location /cgi/ { alias ${TESTDATA}/; cgi .py /usr/bin/python3; }
}
`;
const FILES = {
  "site/index.html": "home\n",
  "site/big/index.html": "big\n",
  "up/README.txt": "uploads\n",
};

/** The request to smuggle: 34 bytes (0x22). */
const SMUG = "GET /secret HTTP/1.1\r\nHost: x\r\n\r\n";
const SMUG_HEX = SMUG.length.toString(16);
/** The last request of every case: a normal one that closes the connection. */
const END = "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const UP = "POST /up/f HTTP/1.1\r\nHost: x\r\n";
const TE = "Transfer-Encoding: chunked\r\n";
/** A chunked body whose one chunk is the smuggled request. */
const CHUNKED_SMUG = `${SMUG_HEX}\r\n${SMUG}\r\n0\r\n\r\n`;

/** [description, bytes sent (END is appended), statuses expected in order] */
const CASES: [string, string, number[]][] = [
  // CL.TE and TE.CL: both headers → 400 and close, whichever comes first.
  ["CL.TE", `${UP}Content-Length: 5\r\n${TE}\r\n0\r\n\r\n${SMUG}`, [400]],
  ["TE.CL", `${UP}${TE}Content-Length: 4\r\n\r\n${CHUNKED_SMUG}`, [400]],
  ["CL.TE with CL 0", `${UP}Content-Length: 0\r\n${TE}\r\n${CHUNKED_SMUG}`, [400]],
  [
    "TE.CL, TE after a list",
    `${UP}Content-Length: 40\r\nTransfer-Encoding: identity, chunked\r\n\r\n${CHUNKED_SMUG}`,
    [400],
  ],
  // TE.TE: an obfuscated Transfer-Encoding next to a Content-Length.
  [
    "TE: xchunked + CL",
    `${UP}Content-Length: 40\r\nTransfer-Encoding: xchunked\r\n\r\n${CHUNKED_SMUG}`,
    [400],
  ],
  [
    "TE: ' chunked' + CL",
    `${UP}Content-Length: 40\r\nTransfer-Encoding:  chunked\r\n\r\n${CHUNKED_SMUG}`,
    [400],
  ],
  [
    "TE: chunked\\v + CL",
    `${UP}Content-Length: 40\r\nTransfer-Encoding: chunked\x0b\r\n\r\n${CHUNKED_SMUG}`,
    [400],
  ],
  ["TE: chunked\\0", `${UP}Transfer-Encoding: chunked\0\r\n\r\n${CHUNKED_SMUG}`, [400]],
  ["TE with a space before the colon", `${UP}Transfer-Encoding : chunked\r\n\r\n${CHUNKED_SMUG}`, [
    400,
  ]],
  ["TE with a tab before the colon", `${UP}Transfer-Encoding\t: chunked\r\n\r\n${CHUNKED_SMUG}`, [
    400,
  ]],
  ["TE folded onto the next line", `${UP}Transfer-Encoding:\r\n chunked\r\n\r\n${CHUNKED_SMUG}`, [
    400,
  ]],
  ["TE line starting with a space", `${UP} Transfer-Encoding: chunked\r\n\r\n${CHUNKED_SMUG}`, [
    400,
  ]],
  ["TE: xchunked alone", `${UP}Transfer-Encoding: xchunked\r\n\r\n${CHUNKED_SMUG}`, [501]],
  ["TE: chunk", `${UP}Transfer-Encoding: chunk\r\n\r\n${CHUNKED_SMUG}`, [501]],
  ['TE: "chunked" (quoted)', `${UP}Transfer-Encoding: "chunked"\r\n\r\n${CHUNKED_SMUG}`, [501]],
  ["TE: chunked;q=1", `${UP}Transfer-Encoding: chunked;q=1\r\n\r\n${CHUNKED_SMUG}`, [501]],
  ["two TE: chunked headers", `${UP}${TE}${TE}\r\n${CHUNKED_SMUG}`, [400]],
  [
    "TE: chunked, then TE: identity",
    `${UP}${TE}Transfer-Encoding: identity\r\n\r\n${CHUNKED_SMUG}`,
    [400],
  ],
  [
    "TE: identity, then TE: chunked",
    `${UP}Transfer-Encoding: identity\r\n${TE}\r\n${CHUNKED_SMUG}`,
    [501],
  ],
  ["TE: chunked, chunked", `${UP}Transfer-Encoding: chunked, chunked\r\n\r\n${CHUNKED_SMUG}`, [
    400,
  ]],
  ["TE on HTTP/1.0", `POST /up/f HTTP/1.0\r\n${TE}\r\n${CHUNKED_SMUG}`, [400]],
  // Look-alikes and legal spellings are read as what they are.
  [
    "TE: ' chunked' alone is chunked",
    `${UP}Transfer-Encoding:   chunked  \r\n\r\n${CHUNKED_SMUG}`,
    [201, 200],
  ],
  ["TE: CHUNKED is chunked", `${UP}Transfer-Encoding: CHUNKED\r\n\r\n${CHUNKED_SMUG}`, [201, 200]],
  [
    "Transfer_Encoding is not Transfer-Encoding",
    `${UP}Transfer_Encoding: chunked\r\nContent-Length: ${5 + SMUG.length}\r\n\r\n0\r\n\r\n${SMUG}`,
    [201, 200],
  ],
  [
    "Content-Length in a trailer is ignored",
    `${UP}${TE}\r\n${SMUG_HEX}\r\n${SMUG}\r\n0\r\nContent-Length: 0\r\n\r\n`,
    [201, 200],
  ],
  // Content-Length spellings.
  ["CL with leading zeros", `${UP}Content-Length: 00${SMUG.length}\r\n\r\n${SMUG}`, [201, 200]],
  ["CL with a plus sign", `${UP}Content-Length: +${SMUG.length}\r\n\r\n${SMUG}`, [400]],
  ["CL with a minus sign", `${UP}Content-Length: -0\r\n\r\n${SMUG}`, [400]],
  ["CL in hex", `${UP}Content-Length: 0x${SMUG_HEX}\r\n\r\n${SMUG}`, [400]],
  ["CL with a decimal point", `${UP}Content-Length: ${SMUG.length}.0\r\n\r\n${SMUG}`, [400]],
  ["CL with a space inside", `${UP}Content-Length: 3 4\r\n\r\n${SMUG}`, [400]],
  ["CL with a vertical tab", `${UP}Content-Length: ${SMUG.length}\x0b\r\n\r\n${SMUG}`, [400]],
  ["CL with surrounding spaces", `${UP}Content-Length:  ${SMUG.length}  \r\n\r\n${SMUG}`, [
    201,
    200,
  ]],
  [
    "two CLs, body first",
    `${UP}Content-Length: ${SMUG.length}\r\nContent-Length: 0\r\n\r\n${SMUG}`,
    [400],
  ],
  [
    "two CLs, empty first",
    `${UP}Content-Length: 0\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [400],
  ],
  ["CL list with two values", `${UP}Content-Length: 0, ${SMUG.length}\r\n\r\n${SMUG}`, [400]],
  [
    "two identical CLs",
    `${UP}Content-Length: ${SMUG.length}\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [201, 200],
  ],
  [
    "CL list of identical values",
    `${UP}Content-Length: ${SMUG.length}, ${SMUG.length}\r\n\r\n${SMUG}`,
    [201, 200],
  ],
  // Chunk lines.
  [
    "chunk extension with a control byte",
    `${UP}${TE}\r\n${SMUG_HEX};a=\x01\r\n${SMUG}\r\n0\r\n\r\n`,
    [400],
  ],
  ["chunk extension with a bare CR", `${UP}${TE}\r\n${SMUG_HEX};a\rb\r\n${SMUG}\r\n0\r\n\r\n`, [
    400,
  ]],
  ["chunk extension with NUL", `${UP}${TE}\r\n${SMUG_HEX};\0\r\n${SMUG}\r\n0\r\n\r\n`, [400]],
  [
    "chunk extension of 8 KB",
    `${UP}${TE}\r\n${SMUG_HEX};${"x".repeat(8192)}\r\n${SMUG}\r\n0\r\n\r\n`,
    [400],
  ],
  [
    "chunk extension with obs-text bytes",
    `${UP}${TE}\r\n${SMUG_HEX};\xff\xfe="\x80"\r\n${SMUG}\r\n0\r\n\r\n`,
    [201, 200],
  ],
  [
    "chunk extension with spaces before ;",
    `${UP}${TE}\r\n${SMUG_HEX} \t;a=b\r\n${SMUG}\r\n0\r\n\r\n`,
    [201, 200],
  ],
  ["chunk size with a space and no ;", `${UP}${TE}\r\n${SMUG_HEX} \r\n${SMUG}\r\n0\r\n\r\n`, [400]],
  ["chunk size with a leading space", `${UP}${TE}\r\n ${SMUG_HEX}\r\n${SMUG}\r\n0\r\n\r\n`, [400]],
  ["chunk size with an underscore", `${UP}${TE}\r\n2_2\r\n${SMUG}\r\n0\r\n\r\n`, [400]],
  [
    "chunk size that wraps around 2^64",
    `${UP}${TE}\r\n100000000000000${SMUG_HEX}\r\n${SMUG}\r\n0\r\n\r\n`,
    [400],
  ],
  ["chunk data not followed by CRLF", `${UP}${TE}\r\n${SMUG_HEX}\r\n${SMUG}XX0\r\n\r\n`, [400]],
  ["chunk data followed by a bare CR", `${UP}${TE}\r\n${SMUG_HEX}\r\n${SMUG}\r0\r\n\r\n`, [400]],
  ["chunk shorter than its size", `${UP}${TE}\r\n5\r\nab\r\n0\r\n\r\n${SMUG}`, [400]],
  ["invalid chunk after a good one", `${UP}${TE}\r\n${SMUG_HEX}\r\n${SMUG}\r\nzz\r\n${SMUG}`, [
    400,
  ]],
  // Bare LF terminators are accepted, and counted right.
  ["0\\n\\n ends a body", `${UP}${TE}\r\n0\n\n`, [201, 200]],
  ["bare LF everywhere in the chunked body", `${UP}${TE}\r\n${SMUG_HEX}\n${SMUG}\n0\n\n`, [
    201,
    200,
  ]],
  ["bare LF and CRLF mixed", `${UP}${TE}\r\n${SMUG_HEX}\r\n${SMUG}\n0\r\n\n`, [201, 200]],
  [
    "bare LF ends the head before a CL body",
    `POST /up/f HTTP/1.1\nHost: x\nContent-Length: ${SMUG.length}\n\n${SMUG}`,
    [201, 200],
  ],
  // Bodies never become requests.
  ["request inside a CL body", `${UP}Content-Length: ${SMUG.length}\r\n\r\n${SMUG}`, [201, 200]],
  ["request inside a chunked body", `${UP}${TE}\r\n${CHUNKED_SMUG}`, [201, 200]],
  [
    "request inside a body split in chunks",
    `${UP}${TE}\r\n4\r\n${SMUG.slice(0, 4)}\r\n1e\r\n${SMUG.slice(4)}\r\n0\r\n\r\n`,
    [201, 200],
  ],
  [
    "request inside a discarded body (405)",
    `POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [405, 200],
  ],
  [
    "request inside a discarded chunked body",
    `POST /index.html HTTP/1.1\r\nHost: x\r\n${TE}\r\n${CHUNKED_SMUG}`,
    [405, 200],
  ],
  [
    "request inside a GET body",
    `GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [200, 200],
  ],
  [
    "request inside a CGI body",
    `POST /cgi/echo.py HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [200, 200],
  ],
  [
    "request inside a chunked CGI body",
    `POST /cgi/echo.py HTTP/1.1\r\nHost: x\r\n${TE}\r\n${CHUNKED_SMUG}`,
    [200, 200],
  ],
  [
    "request inside a body over the limit",
    `POST /small/f HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUG.length}\r\n\r\n${SMUG}`,
    [413],
  ],
  [
    "request inside a chunked body over the limit",
    `POST /small/f HTTP/1.1\r\nHost: x\r\n${TE}\r\n${CHUNKED_SMUG}`,
    [413],
  ],
  [
    "request inside a refused 100-continue body",
    `POST /small/f HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUG.length}\r\nExpect: 100-continue\r\n\r\n${SMUG}`,
    [413],
  ],
  [
    "request after a body too large to discard",
    `POST /big/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${1_200_000 + SMUG.length}\r\n\r\n${
      "a".repeat(1_200_000)
    }${SMUG}`,
    [405],
  ],
  [
    "request after a 400 on the same connection",
    `GET / HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n${SMUG}`,
    [400],
  ],
];

/** Every status line in order and everything received, until the server closes. */
async function exchange(port: number, raw: string): Promise<{ statuses: number[]; text: string }> {
  const client = await RawClient.connect(port);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, 5000);
  const statuses: number[] = [];
  let text = "";
  try {
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) & 0xff;
    // The server may close before it has read everything: a failed write is part of the answer.
    const sent = client.send(bytes).catch(() => {});
    for (;;) {
      try {
        const res = await client.read();
        statuses.push(res.status);
        text += res.text;
      } catch (e) {
        // 0 stands for "no answer in 5 s".
        if (timedOut) statuses.push(0);
        else if (!(e instanceof Error) || !e.message.startsWith("Connection closed before")) {
          throw e;
        } else text += client.leftover;
        break;
      }
    }
    await sent;
    return { statuses, text };
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startTestServer(CONFIG, FILES);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

Deno.test("smuggling: a pipelined GET /secret is answered (the marker check works)", async () => {
  await withServer(async ({ port }) => {
    const { statuses, text } = await exchange(port, `${SMUG}${END}`);
    assert.deepEqual(statuses, [200, 200]);
    assert.ok(text.includes(MARKER));
  });
});

Deno.test("smuggling: ambiguous framing is refused and a body is never read as a request", async () => {
  await withServer(async ({ port }) => {
    const failures: string[] = [];
    await Promise.all(CASES.map(async ([name, raw, expected]) => {
      const { statuses, text } = await exchange(port, raw + END);
      if (text.includes(MARKER)) failures.push(`${name}: the smuggled request was answered`);
      if (statuses.join() !== expected.join()) {
        failures.push(`${name}: expected ${expected.join()}, got ${statuses.join()}`);
      }
    }));
    assert.deepEqual(failures, []);
  });
});
