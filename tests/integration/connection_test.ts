/** The connection engine over real sockets: keep-alive, pipelining, framing, limits, timeouts. */
import assert from "node:assert/strict";
import { RawClient, rawRequest } from "./_client.ts";
import { startTestServer, type TestServer, withTestServer } from "./_server.ts";

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  client_header_timeout 300ms;
  keepalive_timeout 300ms;
  client_body_timeout 300ms;
  location /small/ { client_max_body_size 10; }
  location /up/ { upload_store up; }
}
`;
const FILES = {
  "site/index.html": "<h1>home</h1>\n",
  "site/a.txt": "hello\n",
  "up/README.txt": "uploads\n",
};

function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  return withTestServer(CONFIG, FILES, fn);
}

Deno.test("connection keeps HTTP/1.1 alive and answers several requests in turn", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      for (let i = 0; i < 3; i++) {
        await c.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        const res = await c.read();
        assert.equal(res.status, 200);
        assert.equal(res.text, "hello\n");
        assert.equal(res.headers.get("connection"), undefined);
      }
    } finally {
      c.close();
    }
  });
});

Deno.test("connection answers pipelined requests in order", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send(
        "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n" +
          "GET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const a = await c.read();
      const b = await c.read({ head: true });
      const d = await c.read();
      const e = await c.read();
      assert.deepEqual([a.status, b.status, d.status, e.status], [200, 200, 404, 200]);
      assert.equal(a.text, "hello\n");
      assert.equal(b.headers.get("content-length"), "14");
      assert.equal(e.text, "<h1>home</h1>\n");
      assert.equal(e.headers.get("connection"), "close");
      assert.ok(await c.closedByServer());
    } finally {
      c.close();
    }
  });
});

Deno.test("connection parses a request sent one byte at a time", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      c.noDelay();
      for (const ch of "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Long: abcdef\r\n\r\n") await c.send(ch);
      assert.equal((await c.read()).text, "hello\n");
    } finally {
      c.close();
    }
  });
});

Deno.test("connection closes HTTP/1.0 unless asked to keep it alive", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const kept = await c.read();
      assert.equal(kept.headers.get("connection"), "keep-alive");
      await c.send("GET /a.txt HTTP/1.0\r\n\r\n");
      const closed = await c.read();
      assert.equal(closed.status, 200);
      assert.equal(closed.headers.get("connection"), "close");
      assert.ok(await c.closedByServer());
    } finally {
      c.close();
    }
  });
});

Deno.test("connection answers protocol errors with their status", async () => {
  await withServer(async ({ port }) => {
    const cases: [string, number, string][] = [
      [400, "HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n"],
      [400, "header without colon", "GET / HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n"],
      [
        400,
        "Content-Length and Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      ],
      [
        400,
        "two different lengths",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      ],
      [400, "path above the root", "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"],
      [400, "NUL in the path", "GET /a%00.txt HTTP/1.1\r\nHost: x\r\n\r\n"],
      [505, "HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"],
      [501, "unknown method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n"],
      [
        501,
        "unknown transfer coding",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      ],
      [417, "unknown expectation", "GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n"],
      [414, "request line too long", `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      [
        431,
        "header section too large",
        `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: b\r\n".repeat(5000)}\r\n`,
      ],
    ].map(([status, name, raw]) => [name as string, status as number, raw as string]);
    for (const [name, status, raw] of cases) {
      const res = await rawRequest(port, raw);
      assert.equal(res.status, status, name);
      assert.equal(res.headers.get("connection"), "close", name);
    }
  });
});

Deno.test("connection answers 408 when the head does not arrive in time", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send("GET / HTTP/1.1\r\nHost: x\r\n");
      const res = await c.read();
      assert.equal(res.status, 408);
      assert.ok(await c.closedByServer());
    } finally {
      c.close();
    }
  });
});

Deno.test("connection closes an idle keep-alive connection silently", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await c.read()).status, 200);
      assert.ok(await c.closedByServer());
      assert.equal(c.leftover, "");
    } finally {
      c.close();
    }
  });
});

Deno.test("connection refuses a declared body over the limit without sending 100 Continue", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send(
        "POST /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
      );
      const res = await c.read();
      assert.equal(res.status, 413);
      assert.equal(res.headers.get("connection"), "close");
    } finally {
      c.close();
    }
  });
});

Deno.test("connection discards an unread body and serves the next request", async () => {
  await withServer(async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
      await c.send("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      await c.send("3\r\nabc\r\n0\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
      const first = await c.read();
      const second = await c.read();
      assert.equal(first.status, 405);
      assert.equal(first.headers.get("allow"), "GET, HEAD");
      assert.equal(second.status, 405);
      assert.equal((await c.read()).text, "hello\n");
    } finally {
      c.close();
    }
  });
});

Deno.test("shutdown lets a request in progress finish and closes idle connections", async () => {
  const s = await startTestServer(CONFIG, FILES);
  const busy = await RawClient.connect(s.port);
  const idle = await RawClient.connect(s.port);
  try {
    await idle.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await idle.read()).status, 200);
    await busy.send(
      "PUT /up/f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    // "100 Continue" proves the handler is reading the body when the shutdown begins.
    assert.equal((await busy.read()).status, 100);
    const stopped = s.server.shutdown();
    assert.ok(await idle.closedByServer());
    await busy.send("abcde");
    const res = await busy.read();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("connection"), "close");
    await stopped;
    assert.equal(await Deno.readTextFile(`${s.dir}/up/f.txt`), "abcde");
  } finally {
    busy.close();
    idle.close();
    await s.close();
  }
});

Deno.test("past worker_connections a new connection gets 503 and the others are served", async () => {
  const s = await startTestServer(`worker_connections 2;\n${CONFIG}`, FILES);
  const held: RawClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.connect(s.port);
      held.push(c);
      // A served request proves the connection was accepted and counted.
      await c.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await c.read()).status, 200);
    }
    const refused = await rawRequest(s.port, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(refused.status, 503);
    await held[0]!.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await held[0]!.read()).text, "hello\n");
  } finally {
    for (const c of held) c.close();
    await s.close();
  }
});

Deno.test("keepalive_requests closes a connection after that many requests", async () => {
  const s = await startTestServer(`keepalive_requests 2;\n${CONFIG}`, FILES);
  const c = await RawClient.connect(s.port);
  try {
    await c.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await c.read()).headers.get("connection"), undefined);
    assert.equal((await c.read()).headers.get("connection"), "close");
    assert.ok(await c.closedByServer());
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("large_client_header_buffers and max_headers set the head limits", async () => {
  const s = await startTestServer(
    `large_client_header_buffers 2 1k;\nmax_headers 3;\n${CONFIG}`,
    FILES,
  );
  try {
    const long = await rawRequest(s.port, `GET /${"a".repeat(1100)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(long.status, 414);
    const big = await rawRequest(
      s.port,
      `GET / HTTP/1.1\r\nHost: x\r\nA: ${"b".repeat(1000)}\r\nC: ${"d".repeat(1100)}\r\n\r\n`,
    );
    assert.equal(big.status, 431);
    const many = await rawRequest(
      s.port,
      "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
    );
    assert.equal(many.status, 431);
    const ok = await rawRequest(s.port, "GET /a.txt HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n");
    assert.equal(ok.status, 200);
  } finally {
    await s.close();
  }
});

Deno.test("the idle timeout is that of the server (and location) that answered, as in nginx", async () => {
  // The address's default server keeps connections 5 s; server b, 300 ms; its /long/ location, 5 s.
  const config = `
access_log off;
server { listen 127.0.0.1:0; root site; keepalive_timeout 5s; }
server {
  listen 127.0.0.1:0;
  server_name b;
  root site;
  keepalive_timeout 300ms;
  location /long/ { keepalive_timeout 5s; }
}
`;
  const files = { "site/a.txt": "a\n", "site/long/b.txt": "b\n" };
  await withTestServer(config, files, async ({ port }) => {
    // Both servers listen on one socket ("127.0.0.1:0" twice is one address).
    const viaB = await RawClient.connect(port);
    try {
      await viaB.send("GET /a.txt HTTP/1.1\r\nHost: b\r\n\r\n");
      assert.equal((await viaB.read()).status, 200);
      const asked = Date.now();
      assert.ok(await viaB.closedByServer(3000), "still open after 3 s: the default's 5 s applied");
      assert.ok(Date.now() - asked < 2000);
    } finally {
      viaB.close();
    }
    const longer = await RawClient.connect(port);
    try {
      await longer.send("GET /long/b.txt HTTP/1.1\r\nHost: b\r\n\r\n");
      assert.equal((await longer.read()).status, 200);
      assert.equal(await longer.closedByServer(1000), false, "the location's 5 s applies");
    } finally {
      longer.close();
    }
  });
});

Deno.test("listen … default_server makes a server the default of its address", async () => {
  const config = `
access_log off;
server { listen 127.0.0.1:0; server_name a; return 200 "a"; }
server { listen 127.0.0.1:0 default_server; server_name b; return 200 "b"; }
`;
  await withTestServer(config, {}, async ({ port }) => {
    const ask = async (host: string) =>
      (await rawRequest(port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).text;
    assert.deepEqual([await ask("a"), await ask("b"), await ask("other")], ["a", "b", "b"]);
  });
});
