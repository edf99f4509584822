/**
 * File-system errors on request paths become the status nginx gives them, never a 500 with a
 * stack trace: names too long for the file system, paths through a file, unreadable files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { rawRequest } from "./_client.ts";
import { serverProblems, withErrorLog } from "./_server.ts";

const TESTDATA = join(import.meta.dirname!, "..", "testdata", "cgi");

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  location /files/ { autoindex on; }
  location /uploads/ { upload_store up; allow_methods GET POST PUT DELETE; }
  location /cgi-bin/ { alias ${TESTDATA}/; cgi .py /usr/bin/python3; }
}
`;
const FILES = { "site/index.html": "home\n", "site/files/a.txt": "a\n", "up/README.txt": "up\n" };

/** 256 bytes: one more than a file name may have (NAME_MAX) on Linux file systems. */
const LONG = "n".repeat(256);

const CASES: [method: string, target: string, status: number, body?: string][] = [
  ["GET", `/${LONG}.txt`, 404],
  ["HEAD", `/${LONG}.txt`, 404],
  ["GET", `/files/${LONG}/`, 404],
  ["GET", `/files/${LONG}/x.txt`, 404],
  ["GET", `/files/a.txt/${LONG}`, 404],
  ["DELETE", `/uploads/${LONG}`, 404],
  ["DELETE", `/uploads/${LONG}.txt`, 404],
  // PUT does not rename, and a name this long would have to be cut.
  ["PUT", `/uploads/${LONG}`, 403, "x"],
  // POST keeps at most 200 bytes of a name.
  ["POST", `/uploads/${LONG}.txt`, 201, "x"],
  ["GET", `/cgi-bin/${LONG}.py`, 404],
  ["GET", `/cgi-bin/${LONG}.py/extra`, 404],
  ["POST", `/cgi-bin/${LONG}.py`, 404, "x"],
];

Deno.test("names too long for the file system get 404 (or their upload answer), never a 500", async () => {
  const failures: string[] = [];
  const lines = await withErrorLog(CONFIG, FILES, async ({ port }) => {
    for (const [method, target, status, body] of CASES) {
      const length = body === undefined ? "" : `Content-Length: ${body.length}\r\n`;
      const res = await rawRequest(
        port,
        `${method} ${target} HTTP/1.1\r\nHost: x\r\n${length}Connection: close\r\n\r\n${
          body ?? ""
        }`,
        { head: method === "HEAD" },
      );
      if (res.status !== status) {
        failures.push(`${method} ${target.slice(0, 30)}…: ${res.status}, expected ${status}`);
      }
    }
  });
  assert.deepEqual(failures, []);
  assert.deepEqual(serverProblems(lines), []);
});

Deno.test("a server problem is logged once, without a stack trace, and its repeats counted", async () => {
  // A script that redirects to itself: after 10 internal redirects the answer is 500, a problem
  // of the site, reported once however many requests hit it.
  const lines = await withErrorLog(CONFIG, FILES, async ({ port }) => {
    for (let i = 0; i < 5; i++) {
      const res = await rawRequest(port, "GET /cgi-bin/loop.py HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(res.status, 500);
    }
  }, "error");
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(
    lines[0]!,
    /\[error\] \d+#0: Rewrite or internal redirection cycle: last to "\/cgi-bin\/loop\.py"/,
  );
  assert.match(
    lines[1]!,
    /\[error\] \d+#0: Rewrite or internal redirection cycle: 4 more times in the last 60 s/,
  );
});
