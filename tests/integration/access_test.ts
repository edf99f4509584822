/**
 * Access control over real sockets: allow/deny by address (clients from 127.0.0.1 and
 * 127.0.0.2), auth_basic against a password file, satisfy any, limit_req and limit_conn.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { RawClient } from "./_client.ts";
import { withErrorLog, withTestServer } from "./_server.ts";

const TESTDATA = join(import.meta.dirname!, "..", "testdata", "cgi");
// Made with `htpasswd -nbm alice 's3cret:pass'` and `htpasswd -nbB bob b0b`.
const USERS = "alice:$apr1$jxTWJzl7$ecx18t0tZP1zoYluFyMQ71\n" +
  "bob:$2y$05$k2cXl5NehDtWqdDnuzGyweuMnpCUdFK9ioHLJ5ntjfKSz58wa29By\n";

const CONFIG = `
access_log off;
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
limit_conn_zone $binary_remote_addr zone=conns:1m;
server {
  listen 127.0.0.1:0;
  root site;
  location /local/ { allow 127.0.0.1; deny all; }
  location /not-two/ { deny 127.0.0.2; allow all; }
  location /private/ { auth_basic "Private area"; auth_basic_user_file users; }
  location /either/ {
    satisfy any;
    allow 127.0.0.1;
    deny all;
    auth_basic "Either";
    auth_basic_user_file users;
  }
  location /both/ {
    allow 127.0.0.1;
    deny all;
    auth_basic "Both";
    auth_basic_user_file users;
  }
  location /api/ { limit_req zone=one burst=2 nodelay; limit_req_status 429; }
  location /cgi/ {
    alias ${TESTDATA}/;
    cgi .py /usr/bin/python3;
    limit_conn conns 1;
  }
}
`;
const FILES = {
  users: USERS,
  "site/local/a.txt": "local\n",
  "site/not-two/a.txt": "not two\n",
  "site/private/a.txt": "private\n",
  "site/either/a.txt": "either\n",
  "site/both/a.txt": "both\n",
  "site/api/a.txt": "api\n",
};

/** One GET from the given source address; the status and the WWW-Authenticate header. */
function get(
  port: number,
  path: string,
  from = "127.0.0.1",
  auth?: string,
): Promise<{ status: number; challenge?: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    let text = "";
    socket.on("connect", () => {
      const authorization = auth === undefined ? "" : `Authorization: Basic ${btoa(auth)}\r\n`;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${authorization}Connection: close\r\n\r\n`);
    });
    socket.on("data", (chunk: Uint8Array) => text += new TextDecoder().decode(chunk));
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const challenge = /^WWW-Authenticate: (.*)\r$/mi.exec(text)?.[1];
      resolve({ status, ...(challenge === undefined ? {} : { challenge }) });
    });
    socket.on("error", reject);
  });
}

Deno.test("allow and deny: the first rule that matches the client's address decides", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    assert.equal((await get(port, "/local/a.txt")).status, 200);
    assert.equal((await get(port, "/local/a.txt", "127.0.0.2")).status, 403);
    assert.equal((await get(port, "/not-two/a.txt")).status, 200);
    assert.equal((await get(port, "/not-two/a.txt", "127.0.0.2")).status, 403);
  });
});

Deno.test("auth_basic: 401 with the realm, the user file's password lets in", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const none = await get(port, "/private/a.txt");
    assert.deepEqual(none, { status: 401, challenge: 'Basic realm="Private area"' });
    assert.equal((await get(port, "/private/a.txt", "127.0.0.1", "alice:wrong")).status, 401);
    assert.equal((await get(port, "/private/a.txt", "127.0.0.1", "nobody:x")).status, 401);
    // A colon in the password is the password's (only the first colon splits).
    assert.equal((await get(port, "/private/a.txt", "127.0.0.1", "alice:s3cret:pass")).status, 200);
    assert.equal((await get(port, "/private/a.txt", "127.0.0.1", "bob:b0b")).status, 200);
  });
});

Deno.test("satisfy any lets in by address or by password; satisfy all wants both", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    assert.equal((await get(port, "/either/a.txt")).status, 200);
    assert.equal((await get(port, "/either/a.txt", "127.0.0.2")).status, 401);
    assert.equal((await get(port, "/either/a.txt", "127.0.0.2", "bob:b0b")).status, 200);
    assert.equal((await get(port, "/both/a.txt")).status, 401);
    assert.equal((await get(port, "/both/a.txt", "127.0.0.1", "bob:b0b")).status, 200);
    assert.equal((await get(port, "/both/a.txt", "127.0.0.2", "bob:b0b")).status, 403);
  });
});

Deno.test("limit_req: past the rate and its burst, limit_req_status; other clients unaffected", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(port, "/api/a.txt")).status);
    // One for the rate (1 a minute), two for the burst, then refused.
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal((await get(port, "/api/a.txt", "127.0.0.2")).status, 200);
  });
});

Deno.test("refusals are logged as nginx words them, each one (fail2ban's filters read them)", async () => {
  const lines = await withErrorLog(CONFIG, FILES, async ({ port }) => {
    for (let i = 0; i < 5; i++) await get(port, "/api/a.txt");
    await get(port, "/private/a.txt", "127.0.0.1", "alice:wrong");
    await get(port, "/local/a.txt", "127.0.0.2");
  });
  // fail2ban's nginx-limit-req failregex, with its prefix line.
  const limitReq =
    /^\S+ \S+ \[error\] \d+#\d+: \*\d+ limiting requests, excess: [\d.]+ by zone "one", client: 127\.0\.0\.1, server: , request: "GET \/api\/a\.txt HTTP\/1\.1", host: "x"$/;
  assert.equal(lines.filter((line) => limitReq.test(line)).length, 2, lines.join("\n"));
  // fail2ban's nginx-http-auth failregex.
  const auth =
    /\[error\] \d+#\d+: \*\d+ user "alice": password mismatch, client: 127\.0\.0\.1, server: \S*, request: "GET \/private\/a\.txt HTTP\/1\.1", host: "x"$/;
  assert.equal(lines.filter((line) => auth.test(line)).length, 1, lines.join("\n"));
  assert.ok(lines.some((l) => /\*\d+ access forbidden by rule, client: 127\.0\.0\.2,/.test(l)));
});

Deno.test("limit_conn: one request in progress per address, the next one 503", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const slow = await RawClient.connect(port);
    try {
      await slow.send("GET /cgi/sleep_after_headers.py HTTP/1.1\r\nHost: x\r\n\r\n");
      // Its headers have come: the request is in progress.
      assert.equal(await readStatus(slow), 200);
      assert.equal((await get(port, "/cgi/hello.py")).status, 503);
      assert.equal((await get(port, "/cgi/hello.py", "127.0.0.2")).status, 200);
    } finally {
      slow.close();
    }
    // Once it is gone, the address may come again (polled: the release follows the close).
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await get(port, "/cgi/hello.py")).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200);
  });
});

/** The status line of a response whose body has not ended. */
async function readStatus(client: RawClient): Promise<number> {
  const buf = new Uint8Array(4096);
  const n = await client.conn.read(buf);
  assert.ok(n !== null);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(new TextDecoder().decode(buf.subarray(0, n)))?.[1]);
}
