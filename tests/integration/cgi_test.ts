/** CGI through the real server with the real interpreters: environment, bodies, streaming, failures. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient, rawRequest } from "./_client.ts";
import { startTestServer, type TestServer, withTestServer } from "./_server.ts";

const TESTDATA = join(import.meta.dirname!, "..", "testdata", "cgi");
const EXAMPLES = join(import.meta.dirname!, "..", "..", "cgi");
const HAS_PHP = await Deno.stat("/usr/bin/php-cgi").then(() => true, () => false);

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  location /t/ {
    alias ${TESTDATA}/;
    allow_methods GET POST;
    client_max_body_size 10m;
    cgi .py /usr/bin/python3;
    cgi .pl /usr/bin/perl;
    cgi .php /usr/bin/php-cgi;
  }
  location /fast/ { alias ${TESTDATA}/; cgi .py /usr/bin/python3; cgi_timeout 300ms; }
  location /one/ { alias ${TESTDATA}/; cgi .py /usr/bin/python3; }
  location /cgi-bin/ { alias ${EXAMPLES}/; cgi .py /usr/bin/python3; cgi .php /usr/bin/php-cgi; }
  location /other/ { return 200 "other page"; }
}
`;
const FILES = { "site/a.txt": "static\n" };

function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  return withTestServer(CONFIG, FILES, fn);
}

function envOf(text: string): Map<string, string> {
  return new Map(
    text.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

Deno.test("a CGI script gets the RFC 3875 environment and nothing of the server's", async () => {
  await withServer(async (s) => {
    const res = await fetch(`${s.base}/t/env.py/extra/path?a=1&b=%20`, {
      headers: { "X-Custom": "yes", Cookie: "k=v" },
    });
    assert.equal(res.status, 200);
    const env = envOf(await res.text());
    const expected: Record<string, string> = {
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_PROTOCOL: "HTTP/1.1",
      REQUEST_METHOD: "GET",
      SCRIPT_NAME: "/t/env.py",
      SCRIPT_FILENAME: join(TESTDATA, "env.py"),
      PATH_INFO: "/extra/path",
      QUERY_STRING: "a=1&b=%20",
      REQUEST_URI: "/t/env.py/extra/path?a=1&b=%20",
      REMOTE_ADDR: "127.0.0.1",
      SERVER_PORT: String(s.port),
      HTTP_X_CUSTOM: "yes",
      HTTP_COOKIE: "k=v",
      REDIRECT_STATUS: "200",
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(env.get(key), value, key);
    assert.ok(env.has("PATH_TRANSLATED"));
    assert.ok(!env.has("HOME") && !env.has("DENO_DIR"), "the server's own environment stays out");
  });
});

Deno.test("POST bodies reach the script, chunked ones decoded with a CONTENT_LENGTH", async () => {
  await withServer(async (s) => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 256);
    const echoed = await fetch(`${s.base}/t/echo.py`, { method: "POST", body: big });
    assert.deepEqual(new Uint8Array(await echoed.arrayBuffer()), big);
    const c = await RawClient.connect(s.port);
    try {
      await c.send(
        "POST /t/echo.py HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n",
      );
      const res = await c.read();
      assert.equal(res.status, 200);
      assert.equal(res.text, "abcdefg");
    } finally {
      c.close();
    }
  });
});

Deno.test("large output is streamed with chunked encoding on HTTP/1.1, close-delimited on 1.0", async () => {
  await withServer(async (s) => {
    const c = await RawClient.connect(s.port);
    try {
      await c.send("GET /t/big.py?8 HTTP/1.1\r\nHost: x\r\n\r\n");
      const res = await c.read();
      assert.equal(res.headers.get("transfer-encoding"), "chunked");
      assert.equal(res.body.length, 8 * 1024 * 1024);
      assert.equal(res.body[1000], 1000 % 256);
      // The connection stays usable after a chunked response.
      await c.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await c.read()).text, "static\n");
    } finally {
      c.close();
    }
    const old = await rawRequest(s.port, "GET /t/big.py?1 HTTP/1.0\r\n\r\n");
    assert.equal(old.headers.get("transfer-encoding"), undefined);
    assert.equal(old.body.length, 1024 * 1024);
  });
});

Deno.test("Location: a local path is served internally, an absolute URL is a 302", async () => {
  await withServer(async (s) => {
    const local = await fetch(`${s.base}/t/redirect.py`, { redirect: "manual" });
    assert.equal(local.status, 200);
    assert.equal(await local.text(), "other page");
    const absolute = await fetch(`${s.base}/t/away.py`, { redirect: "manual" });
    assert.equal(absolute.status, 302);
    assert.equal(absolute.headers.get("location"), "http://example.test/elsewhere");
    await absolute.body?.cancel();
    const teapot = await fetch(`${s.base}/t/status.py`);
    assert.equal(teapot.status, 418);
    assert.equal(await teapot.text(), "teapot");
  });
});

Deno.test("failing, garbled and slow scripts get 502 and 504", async () => {
  await withServer(async (s) => {
    const crash = await fetch(`${s.base}/t/exit1.py`);
    assert.equal(crash.status, 502);
    await crash.body?.cancel();
    const garbage = await fetch(`${s.base}/t/garbage.py`);
    assert.equal(garbage.status, 502);
    await garbage.body?.cancel();
    const slow = await fetch(`${s.base}/fast/sleep.py`);
    assert.equal(slow.status, 504);
    await slow.body?.cancel();
    const missing = await fetch(`${s.base}/t/nope.py`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("a client that goes away kills the script's whole process group", async () => {
  await withServer(async (s) => {
    const c = await RawClient.connect(s.port);
    await c.send("GET /t/grandchild.py HTTP/1.1\r\nHost: x\r\n\r\n");
    // The script prints the pid of its own child, `sleep 30`, then waits for it.
    let received = "";
    const buf = new Uint8Array(4096);
    while (!/\r\n\r\n[0-9a-f]+\r\n\d+\n/.test(received)) {
      const n = await c.conn.read(buf);
      assert.ok(n !== null, received);
      received += new TextDecoder().decode(buf.subarray(0, n));
    }
    const pid = Number(/\r\n\r\n[0-9a-f]+\r\n(\d+)\n/.exec(received)![1]);
    assert.ok(await running(pid), "the grandchild runs while the client is there");
    c.close();
    // Bounded wait for the kill to land: 100 × 50 ms.
    for (let i = 0; i < 100 && await running(pid); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await running(pid), false);
  });
});

/** Whether a process exists and is not a zombie. */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test("static requests keep answering while slow CGI scripts run", async () => {
  await withServer(async (s) => {
    let cgiDone = 0;
    const slow = Array.from(
      { length: 8 },
      () =>
        fetch(`${s.base}/cgi-bin/slow.py`).then(async (r) => {
          await r.text();
          cgiDone++;
        }),
    );
    for (let i = 0; i < 50; i++) {
      assert.equal(await (await fetch(`${s.base}/a.txt`)).text(), "static\n");
    }
    assert.equal(cgiDone, 0, "the static requests finished while every script was still running");
    await Promise.all(slow);
    assert.equal(cgiDone, 8);
  });
});

Deno.test({
  name: "php-cgi runs with $_GET, $_POST and repeated Set-Cookie headers",
  ignore: !HAS_PHP,
  async fn() {
    await withServer(async (s) => {
      const res = await fetch(`${s.base}/t/hello.php?name=ada`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hello from php ada 200\n");
      assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
      const form = await fetch(`${s.base}/cgi-bin/form.php`, {
        method: "POST",
        body: new URLSearchParams({ name: "<b>bob</b>", message: "hi" }),
      });
      const html = await form.text();
      assert.equal(form.status, 200);
      assert.ok(html.includes("&lt;b&gt;bob&lt;/b&gt;"), html);
    });
  },
});

Deno.test("past cgi_max_processes a script request gets 503", async () => {
  const s = await startTestServer(`cgi_max_processes 1;\n${CONFIG}`, FILES);
  const c = await RawClient.connect(s.port);
  try {
    await c.send("GET /one/grandchild.py HTTP/1.1\r\nHost: x\r\n\r\n");
    // Its first bytes prove the script runs.
    assert.ok((await c.conn.read(new Uint8Array(4096))) !== null);
    const busy = await fetch(`${s.base}/t/hello.py`);
    assert.equal(busy.status, 503);
    await busy.body?.cancel();
  } finally {
    c.close();
    await s.close();
  }
});
