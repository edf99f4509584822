/**
 * The reverse proxy against real upstreams on ephemeral ports: what the upstream receives, what
 * the client gets back, load balancing and passive health, retries, keep-alive, errors and their
 * log lines, bodies both ways, Unix sockets, and Python's http.server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient } from "./_client.ts";
import { startTestServer, stopAndReadErrorLog, type TestServer } from "./_server.ts";
import {
  appUpstream,
  closedPort,
  rawUpstream,
  readRequestHead,
  type Upstream,
  writeText,
} from "./_upstreams.ts";

/** Runs `fn` with the server started on `config` (error log in error.log), then stops both. */
async function withProxy(
  upstreams: Upstream[],
  config: string,
  fn: (s: TestServer) => Promise<void>,
): Promise<string[]> {
  const s = await startTestServer(`error_log error.log info;\naccess_log off;\n${config}`);
  try {
    await fn(s);
    return await stopAndReadErrorLog(s);
  } finally {
    await s.close();
    for (const upstream of upstreams) await upstream.close();
  }
}

/** An app that answers with what it received: the request line and headers, then the body. */
function echoApp(): Upstream {
  return appUpstream(async (req) => {
    const url = new URL(req.url);
    const body = await req.text();
    return new Response(`${req.method} ${url.pathname}${url.search}\n${body}`, {
      headers: { "x-app": "echo" },
    });
  });
}

const server = (body: string) => `server {\n  listen 127.0.0.1:0;\n${body}\n}\n`;

Deno.test("proxy_pass replaces the location's prefix with its URI, or passes the URI as sent", async () => {
  const app = echoApp();
  const config = server(`
  location /api/ { proxy_pass http://127.0.0.1:${app.port}/v1/; }
  location /raw/ { proxy_pass http://127.0.0.1:${app.port}; }
  location = /exact { proxy_pass http://127.0.0.1:${app.port}/other; }`);
  await withProxy([app], config, async ({ base }) => {
    const text = async (path: string) => (await (await fetch(base + path)).text()).split("\n")[0];
    assert.equal(await text("/api/users?page=2"), "GET /v1/users?page=2");
    assert.equal(await text("/api/a%20b"), "GET /v1/a%20b");
    // Without a URI part, the request's URI goes as the client sent it (its encoding kept).
    assert.equal(await text("/raw/a%2Fb?x=%41"), "GET /raw/a%2Fb?x=%41");
    assert.equal(await text("/exact?q"), "GET /other?q");
  });
});

Deno.test("the upstream gets nginx's default fields, proxy_set_header's, and the client's others", async () => {
  const app = echoApp();
  const config = server(`
  location / {
    proxy_pass http://127.0.0.1:${app.port};
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Empty "";
    proxy_set_header Accept-Language "";
  }`);
  await withProxy([app], config, async ({ port }) => {
    const client = await RawClient.connect(port);
    try {
      await client.send(
        "GET /p HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 10.0.0.1\r\nAccept-Language: fr\r\n" +
          "Keep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\nConnection: keep-alive, Upgrade\r\n" +
          "X-Custom: kept\r\n\r\n",
      );
      const res = await client.read();
      assert.equal(res.status, 200);
    } finally {
      client.close();
    }
    const seen = app.seen[0]!.split("\n");
    assert.equal(seen[0], "GET /p");
    const fields = new Map(seen.slice(1).map((l) => l.split(": ") as [string, string]));
    assert.equal(fields.get("host"), `127.0.0.1:${app.port}`);
    assert.equal(fields.get("connection"), "close");
    assert.equal(fields.get("x-real-ip"), "127.0.0.1");
    assert.equal(fields.get("x-forwarded-for"), "10.0.0.1, 127.0.0.1");
    assert.equal(fields.get("x-forwarded-proto"), "http");
    assert.equal(fields.get("x-custom"), "kept");
    for (const absent of ["x-empty", "accept-language", "keep-alive", "te", "upgrade"]) {
      assert.equal(fields.get(absent), undefined, absent);
    }
  });
});

Deno.test("the client gets the upstream's fields but its Date, Server and X-Accel-*", async () => {
  const app = appUpstream(() =>
    new Response("ok", {
      status: 201,
      headers: {
        server: "app/1",
        "x-accel-expires": "60",
        "x-hidden": "1",
        "x-shown": "1",
        "set-cookie": "a=1",
      },
    })
  );
  const config = server(`
  location / { proxy_pass http://127.0.0.1:${app.port}; proxy_hide_header X-Hidden; }
  location /own/ { proxy_pass http://127.0.0.1:${app.port}; proxy_pass_header Server; }`);
  await withProxy([app], config, async ({ base }) => {
    const res = await fetch(`${base}/x`);
    assert.equal(res.status, 201);
    assert.equal(await res.text(), "ok");
    assert.match(res.headers.get("server")!, /^webserv/);
    assert.equal(res.headers.get("x-accel-expires"), null);
    assert.equal(res.headers.get("x-hidden"), null);
    assert.equal(res.headers.get("x-shown"), "1");
    assert.equal(res.headers.get("set-cookie"), "a=1");
    const own = await fetch(`${base}/own/x`);
    await own.body?.cancel();
    assert.equal(own.headers.get("server"), "app/1");
  });
});

Deno.test("proxy_redirect default and from/to rewrite the upstream's Location", async () => {
  const app = appUpstream((req) => {
    const url = new URL(req.url);
    const to = url.searchParams.get("to")!.replace("PORT", String(url.port));
    return new Response(null, { status: 302, headers: { location: to } });
  });
  const config = server(`
  location /one/ { proxy_pass http://127.0.0.1:${app.port}/two/; }
  location /root/ { proxy_pass http://127.0.0.1:${app.port}; }
  location /off/ { proxy_pass http://127.0.0.1:${app.port}; proxy_redirect off; }
  location /map/ {
    proxy_pass http://127.0.0.1:${app.port};
    proxy_redirect http://elsewhere.test/ https://$host/moved/;
  }`);
  await withProxy([app], config, async ({ base }) => {
    const location = async (path: string, to: string) => {
      const res = await fetch(`${base}${path}?to=${encodeURIComponent(to)}`, {
        redirect: "manual",
      });
      await res.body?.cancel();
      return res.headers.get("location");
    };
    assert.equal(await location("/one/a", "http://127.0.0.1:PORT/two/b"), "/one/b");
    assert.equal(await location("/root/a", "http://127.0.0.1:PORT/c"), "/c");
    assert.equal(
      await location("/off/a", "http://127.0.0.1:PORT/c"),
      `http://127.0.0.1:${app.port}/c`,
    );
    // fetch() sends its own Host: $host is the address.
    assert.equal(await location("/map/a", "http://elsewhere.test/x"), "https://127.0.0.1/moved/x");
    assert.equal(await location("/one/a", "/relative"), "/relative");
  });
});

Deno.test("request bodies reach the upstream whole, with a Content-Length, chunked or not", async () => {
  const app = echoApp();
  const config = server(`
  client_max_body_size 1m;
  location / { proxy_pass http://127.0.0.1:${app.port}; }`);
  await withProxy([app], config, async ({ base, port }) => {
    const big = "x".repeat(200_000);
    const res = await fetch(`${base}/post`, { method: "POST", body: big });
    assert.equal(await res.text(), `POST /post\n${big}`);
    const client = await RawClient.connect(port);
    try {
      await client.send(
        "PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      );
      assert.equal((await client.read()).text, "PUT /chunked\nhello world");
    } finally {
      client.close();
    }
    assert.match(app.seen[1]!, /content-length: 11/);
    // Over client_max_body_size: 413, and the upstream never hears of it.
    const refused = await fetch(`${base}/huge`, { method: "POST", body: "y".repeat(2 << 20) });
    await refused.body?.cancel();
    assert.equal(refused.status, 413);
    assert.equal(app.seen.length, 2);
  });
});

Deno.test("an upstream block balances by weight, skips a failed server, and retries GETs", async () => {
  const [a, b] = [echoApp(), echoApp()];
  const dead = closedPort();
  const config = `upstream app {
    server 127.0.0.1:${dead} max_fails=1 fail_timeout=30s;
    server 127.0.0.1:${a.port} weight=3;
    server 127.0.0.1:${b.port};
  }
  ${server(`location / { proxy_pass http://app; proxy_set_header Host $proxy_host; }`)}`;
  const lines = await withProxy([a, b], config, async ({ base }) => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${base}/r${i}`);
      await res.body?.cancel();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, Array(8).fill(200));
    // The dead server failed once and is skipped for 30 s; the others shared by 3:1.
    assert.deepEqual([a.seen.length, b.seen.length], [6, 2]);
    assert.match(a.seen[0]!, /host: app/);
  });
  const refused = lines.filter((l) =>
    /\[error\] .*\*\d+ connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: , request: "GET \/r(\d) HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/r\1", host: "127\.0\.0\.1:\d+"$/
      .test(l)
  );
  assert.equal(refused.length, 1, lines.join("\n"));
});

Deno.test("X-Accel-Redirect: the upstream hands the answer to a local URI, as a GET", async () => {
  const app = appUpstream(() =>
    new Response("the app's own body", { headers: { "x-accel-redirect": "/protected/file.txt" } })
  );
  const config = server(`
  location /app/ { proxy_pass http://127.0.0.1:${app.port}; }
  location /protected/ { return 200 "served by $request_method at $uri"; }`);
  await withProxy([app], config, async ({ base }) => {
    const res = await fetch(`${base}/app/download`, { method: "POST", body: "x" });
    assert.deepEqual([res.status, await res.text()], [200, "served by GET at /protected/file.txt"]);
  });
});

Deno.test("a POST goes to the next server only if it never reached one; a backup serves when the others cannot", async () => {
  const backup = echoApp();
  const dead = closedPort();
  // Reads the request, then closes without an answer: the POST may have been acted upon.
  const swallower = rawUpstream(async (conn) => {
    await readRequestHead(conn);
  });
  const config =
    `upstream refused { server 127.0.0.1:${dead}; server 127.0.0.1:${backup.port} backup; }
  upstream swallowed { server 127.0.0.1:${swallower.port}; server 127.0.0.1:${backup.port}; }
  ${
      server(
        `location /r/ { proxy_pass http://refused; } location /s/ { proxy_pass http://swallowed; }`,
      )
    }`;
  await withProxy([backup, swallower], config, async ({ base }) => {
    const refused = await fetch(`${base}/r/form`, { method: "POST", body: "a=1" });
    assert.deepEqual([refused.status, await refused.text()], [200, "POST /r/form\na=1"]);
    const swallowed = await fetch(`${base}/s/form`, { method: "POST", body: "b=2" });
    await swallowed.body?.cancel();
    assert.equal(swallowed.status, 502);
    assert.equal(backup.seen.length, 1);
    // The refusing primary is out now (max_fails=1): the backup answers a GET at once.
    const get = await fetch(`${base}/r/page`);
    assert.deepEqual([get.status, await get.text()], [200, "GET /r/page\n"]);
  });
});

Deno.test("failures: refused 502, silence 504, reset 502, broken framing 502, each logged", async () => {
  const silent = rawUpstream(async (conn) => {
    await readRequestHead(conn);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  });
  const reset = rawUpstream(async (conn) => {
    await readRequestHead(conn);
    conn.setNoDelay(true);
    // SO_LINGER 0 is out of reach: an abrupt close with unread bytes makes the kernel send RST.
    await writeText(conn, "HTTP/1.1 200 OK\r\n");
    conn.close();
  });
  const smuggler = rawUpstream(async (conn) => {
    await readRequestHead(conn);
    await writeText(
      conn,
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
  });
  const dead = closedPort();
  const config = server(`
  proxy_read_timeout 300ms;
  location /refused/ { proxy_pass http://127.0.0.1:${dead}; }
  location /silent/ { proxy_pass http://127.0.0.1:${silent.port}; }
  location /reset/ { proxy_pass http://127.0.0.1:${reset.port}; }
  location /smuggle/ { proxy_pass http://127.0.0.1:${smuggler.port}; }`);
  const lines = await withProxy([silent, reset, smuggler], config, async ({ base }) => {
    for (
      const [path, expected] of [["/refused/", 502], ["/silent/", 504], ["/reset/", 502], [
        "/smuggle/",
        502,
      ]] as const
    ) {
      const res = await fetch(base + path);
      await res.body?.cancel();
      assert.equal(res.status, expected, path);
    }
  });
  const errors = lines.filter((l) => /\[error\]/.test(l));
  assert.ok(
    errors.some((l) =>
      /connect\(\) failed \(111: Connection refused\) while connecting to upstream/.test(l)
    ),
  );
  assert.ok(
    errors.some((l) =>
      /upstream timed out \(110: Connection timed out\) while reading response header from upstream/
        .test(l)
    ),
  );
  assert.ok(errors.some((l) => /request: "GET \/reset\/ HTTP\/1\.1"/.test(l)));
  assert.ok(
    errors.some((l) =>
      /upstream sent .*Transfer-Encoding.* while reading response header from upstream/i.test(l)
    ),
  );
  assert.equal(errors.length, 4, errors.join("\n"));
});

Deno.test("an upstream that dies mid-body: the client sees the connection end short, never a whole answer", async () => {
  const dying = rawUpstream(async (conn) => {
    await readRequestHead(conn);
    await writeText(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "a".repeat(40));
  });
  const badChunk = rawUpstream(async (conn) => {
    await readRequestHead(conn);
    await writeText(
      conn,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
    );
  });
  const config = server(`
  location /dying/ { proxy_pass http://127.0.0.1:${dying.port}; }
  location /chunk/ { proxy_pass http://127.0.0.1:${badChunk.port}; }`);
  const lines = await withProxy([dying, badChunk], config, async ({ port }) => {
    for (const path of ["/dying/", "/chunk/"]) {
      const client = await RawClient.connect(port);
      try {
        await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await assert.rejects(client.read(), path);
      } finally {
        client.close();
      }
    }
  });
  assert.ok(
    lines.some((l) => /upstream prematurely closed connection while reading upstream/.test(l)),
  );
  assert.ok(
    lines.some((l) => /upstream sent invalid chunked response while reading upstream/.test(l)),
  );
});

Deno.test("keepalive N keeps upstream connections open; without it each request has its own", async () => {
  let connections = 0;
  const keeper = rawUpstream(async (conn, seen) => {
    connections++;
    for (;;) {
      const head = await readRequestHead(conn);
      if (head === "") return;
      seen.push(head);
      await writeText(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      if (/connection: close/i.test(head)) return;
    }
  });
  const config = `upstream kept { server 127.0.0.1:${keeper.port}; keepalive 4; }
  ${
    server(`
  location /kept/ { proxy_pass http://kept; }
  location /plain/ { proxy_pass http://127.0.0.1:${keeper.port}; }`)
  }`;
  await withProxy([keeper], config, async ({ base }) => {
    for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`${base}/kept/${i}`)).text(), "ok");
    assert.equal(connections, 1);
    assert.match(keeper.seen[0]!, /^GET \/kept\/0 HTTP\/1\.1\r\n/);
    assert.doesNotMatch(keeper.seen[0]!, /connection:/i);
    for (let i = 0; i < 3; i++) {
      assert.equal(await (await fetch(`${base}/plain/${i}`)).text(), "ok");
    }
    assert.equal(connections, 4);
    assert.match(keeper.seen[5]!, /^GET \/plain\/0 HTTP\/1\.0\r\n[^]*Connection: close/);
  });
});

Deno.test("an idle kept-alive connection the upstream closed is not used: the request still goes through", async () => {
  let connections = 0;
  const closer = rawUpstream(async (conn) => {
    connections++;
    await readRequestHead(conn);
    // Keep-alive allowed by the framing, but the connection is closed just after.
    await writeText(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const config = `upstream kept { server 127.0.0.1:${closer.port}; keepalive 4; }
  ${server(`location / { proxy_pass http://kept; }`)}`;
  await withProxy([closer], config, async ({ base }) => {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/${i}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok");
    }
    assert.equal(connections, 4);
  });
});

Deno.test("$upstream_addr, $upstream_status and $upstream_response_time in the access log", async () => {
  const app = echoApp();
  const dead = closedPort();
  const s = await startTestServer(`
  log_format up '$request $status up=$upstream_addr st=$upstream_status t=$upstream_response_time h=$proxy_host';
  upstream two { server 127.0.0.1:${dead}; server 127.0.0.1:${app.port}; }
  ${server(`access_log access.log up; location / { proxy_pass http://two; }`)}`);
  try {
    await (await fetch(`${s.base}/a`)).text();
    await s.server.shutdown();
    const line = (await Deno.readTextFile(join(s.dir, "access.log"))).trim();
    const expected = new RegExp(
      `^GET /a HTTP/1.1 200 up=127.0.0.1:${dead}, 127.0.0.1:${app.port} st=502, 200 t=\\d+\\.\\d{3}, \\d+\\.\\d{3} h=two$`,
    );
    assert.match(line, expected);
  } finally {
    await s.close();
    await app.close();
  }
});

Deno.test("proxy_intercept_errors gives upstream errors the location's error_page", async () => {
  const app = appUpstream(() => new Response("app's 404", { status: 404 }));
  const config = server(`
  location /plain/ { proxy_pass http://127.0.0.1:${app.port}; }
  location /caught/ {
    proxy_pass http://127.0.0.1:${app.port};
    proxy_intercept_errors on;
    error_page 404 = @mine;
  }
  location @mine { return 200 "mine"; }`);
  await withProxy([app], config, async ({ base }) => {
    const plain = await fetch(`${base}/plain/x`);
    assert.deepEqual([plain.status, await plain.text()], [404, "app's 404"]);
    const caught = await fetch(`${base}/caught/x`);
    assert.deepEqual([caught.status, await caught.text()], [200, "mine"]);
  });
});

Deno.test("proxy_next_upstream http_502 retries an upstream's 502 on the next server", async () => {
  const bad = appUpstream(() => new Response("bad gateway", { status: 502 }));
  const good = echoApp();
  const config = `upstream app { server 127.0.0.1:${bad.port}; server 127.0.0.1:${good.port}; }
  ${
    server(`
  location /retry/ { proxy_pass http://app; proxy_next_upstream error timeout http_502; }
  location /as-is/ { proxy_pass http://127.0.0.1:${bad.port}; }`)
  }`;
  await withProxy([bad, good], config, async ({ base }) => {
    const res = await fetch(`${base}/retry/x`);
    assert.deepEqual([res.status, await res.text()], [200, "GET /retry/x\n"]);
    const asIs = await fetch(`${base}/as-is/x`);
    assert.deepEqual([asIs.status, await asIs.text()], [502, "bad gateway"]);
  });
});

Deno.test("proxy_pass to a Unix socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-sock-" });
  const path = join(dir, "app.sock");
  const app = Deno.serve(
    { path, onListen: () => {} },
    (req) => new Response(`unix ${new URL(req.url).pathname}`),
  );
  const upstream: Upstream = {
    port: 0,
    seen: [],
    close: async () => {
      await app.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
  const config = server(`location /u/ { proxy_pass http://unix:${path}:/inside/; }`);
  await withProxy([upstream], config, async ({ base }) => {
    const res = await fetch(`${base}/u/x`);
    assert.deepEqual([res.status, await res.text()], [200, "unix /inside/x"]);
  });
});

Deno.test("Python's http.server behind the proxy: files, HEAD lengths, its 404", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-py-" });
  await Deno.writeTextFile(join(dir, "hello.txt"), "hello from python\n");
  const python = new Deno.Command("python3", {
    args: ["-u", "-c", PYTHON_SERVER, dir],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = python.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  reader.releaseLock();
  const upstream: Upstream = {
    port,
    seen: [],
    close: async () => {
      python.kill("SIGTERM");
      await python.status;
      await python.stdout.cancel();
      await Deno.remove(dir, { recursive: true });
    },
  };
  const config = server(`location / { proxy_pass http://127.0.0.1:${port}; }`);
  await withProxy([upstream], config, async ({ base, port: ours }) => {
    const res = await fetch(`${base}/hello.txt`);
    assert.deepEqual([res.status, await res.text()], [200, "hello from python\n"]);
    const head = await fetch(`${base}/hello.txt`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "18");
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /File not found/);
    // HTTP/1.0 upstream, close-delimited or not: the client still gets a kept-alive answer.
    const client = await RawClient.connect(ours);
    try {
      for (let i = 0; i < 2; i++) {
        await client.send("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.equal((await client.read()).text, "hello from python\n");
      }
    } finally {
      client.close();
    }
  });
});

/** http.server on port 0, printing its port once it listens. */
const PYTHON_SERVER = `
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.func.log_message = lambda *args: None
with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()
`;

Deno.test("WebSocket through the proxy: the 101 becomes a tunnel both ways", async () => {
  const app = appUpstream((req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => socket.send(`echo: ${e.data}`);
    return response;
  });
  const config = server(`
  location /ws/ {
    proxy_pass http://127.0.0.1:${app.port};
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection "upgrade";
  }`);
  await withProxy([app], config, async ({ port }) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat`);
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => {
        ws.send("one");
        ws.send("two");
      };
      ws.onmessage = (e) => {
        replies.push(String(e.data));
        if (replies.length === 2) ws.close();
      };
      ws.onclose = () => resolve();
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    assert.deepEqual(replies, ["echo: one", "echo: two"]);
  });
});
