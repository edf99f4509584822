/** Static serving through the real server: files, directories, redirects, errors, vhosts, ports. */
import assert from "node:assert/strict";
import { rawRequest } from "./_client.ts";
import { startTestServer, type TestServer } from "./_server.ts";

const FILES = {
  "site/index.html": "<h1>home</h1>\n",
  "site/a.txt": "hello\n",
  "site/style.css": "body { color: red }\n",
  "site/app.js": "console.log(1);\n",
  "site/data.json": "{}\n",
  "site/video.mp4": new Uint8Array(1000).map((_, i) => i % 251),
  "site/sub/index.html": "sub index\n",
  "site/noindex/x.txt": "x\n",
  "site/list/b.txt": "b\n",
  "site/list/a dir/c.txt": "c\n",
  "site/list/<evil>&.txt": "e\n",
  "site/errors/404.html": "custom 404\n",
  "other/o.txt": "other root\n",
  "secret.txt": "outside the root\n",
  "vhost-b/index.html": "site b\n",
};

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  error_page 404 /errors/404.html;
  error_page 403 /errors/missing-403.html;
  location /list/ { autoindex on; }
  location /alias/ { alias other/; }
  location /old { return 301 /a.txt; }
  location = /hello { return 200 "hi there"; }
  location = /gone { return 410; }
  location /ro/ { allow_methods GET; }
  location /abs { return 302 http://$host/a.txt; }
}
`;

let server: TestServer;

async function setup(): Promise<TestServer> {
  server ??= await startTestServer(CONFIG, FILES);
  return server;
}

function get(path: string, init?: RequestInit): Promise<Response> {
  return fetch(server.base + path, { redirect: "manual", ...init });
}

Deno.test({
  name: "static serving",
  async fn(t) {
    await setup();
    try {
      await t.step("a file has its type, length and validators", async () => {
        const res = await get("/a.txt");
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "hello\n");
        assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(res.headers.get("content-length"), "6");
        assert.match(res.headers.get("etag") ?? "", /^"[0-9a-f]+-6"$/);
        assert.ok(Date.parse(res.headers.get("last-modified") ?? "") > 0);
        assert.ok(res.headers.get("date"));
        // server_tokens on (nginx's default) names the version.
        assert.match(res.headers.get("server") ?? "", /^webserv\/\d+\.\d+\.\d+$/);
      });

      await t.step("MIME types follow the extension", async () => {
        for (
          const [path, type] of [
            ["/style.css", "text/css; charset=utf-8"],
            ["/app.js", "text/javascript; charset=utf-8"],
            ["/data.json", "application/json; charset=utf-8"],
            ["/video.mp4", "video/mp4"],
          ]
        ) {
          const res = await get(path!);
          await res.body?.cancel();
          assert.match(
            res.headers.get("content-type") ?? "",
            new RegExp(`^${type!.split(";")[0]}`),
          );
        }
      });

      await t.step("HEAD sends the headers of GET and no body", async () => {
        const res = await rawRequest(
          server.port,
          "HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          { head: true },
        );
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-length"), "6");
      });

      await t.step("a directory without its slash is redirected", async () => {
        const res = await get("/sub?x=1");
        assert.equal(res.status, 301);
        assert.equal(res.headers.get("location"), "/sub/?x=1");
        await res.body?.cancel();
      });

      await t.step("a directory serves its index, lists itself, or is forbidden", async () => {
        assert.equal(await (await get("/sub/")).text(), "sub index\n");
        const listing = await get("/list/");
        const html = await listing.text();
        assert.equal(listing.status, 200);
        assert.ok(html.indexOf("a%20dir/") < html.indexOf("b.txt"), "directories first");
        assert.ok(html.includes("&lt;evil&gt;&amp;.txt"), "names are escaped");
        assert.ok(!html.includes("<evil>"));
        const forbidden = await get("/noindex/");
        assert.equal(forbidden.status, 403);
        // error_page 403 names a missing page: the generated page is sent instead.
        assert.match(await forbidden.text(), /403 Forbidden/);
      });

      await t.step("error_page serves the custom page with the error status", async () => {
        const res = await get("/missing.txt");
        assert.equal(res.status, 404);
        assert.equal(await res.text(), "custom 404\n");
      });

      await t.step("alias replaces the location prefix", async () => {
        assert.equal(await (await get("/alias/o.txt")).text(), "other root\n");
      });

      await t.step("return answers redirects, text and bare codes", async () => {
        const moved = await get("/old");
        assert.equal(moved.status, 301);
        assert.equal(moved.headers.get("location"), "/a.txt");
        await moved.body?.cancel();
        const hello = await get("/hello");
        assert.equal(hello.status, 200);
        assert.equal(await hello.text(), "hi there");
        const gone = await get("/gone");
        assert.equal(gone.status, 410);
        await gone.body?.cancel();
        const abs = await get("/abs");
        assert.equal(abs.headers.get("location"), "http://127.0.0.1/a.txt");
        await abs.body?.cancel();
      });

      await t.step("a method outside allow_methods is 405 with Allow", async () => {
        const res = await get("/ro/x", { method: "DELETE" });
        assert.equal(res.status, 405);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
        await res.body?.cancel();
      });

      await t.step("conditional GET answers 304", async () => {
        const first = await get("/a.txt");
        await first.body?.cancel();
        const etag = first.headers.get("etag")!;
        const byTag = await get("/a.txt", { headers: { "If-None-Match": etag } });
        assert.equal(byTag.status, 304);
        assert.equal(byTag.headers.get("etag"), etag);
        await byTag.body?.cancel();
        const byDate = await get("/a.txt", {
          headers: { "If-Modified-Since": first.headers.get("last-modified")! },
        });
        assert.equal(byDate.status, 304);
        await byDate.body?.cancel();
      });

      await t.step("a single range gives 206, an impossible one 416", async () => {
        const part = await get("/video.mp4", { headers: { Range: "bytes=10-19" } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("content-range"), "bytes 10-19/1000");
        assert.deepEqual([...new Uint8Array(await part.arrayBuffer())], [
          10,
          11,
          12,
          13,
          14,
          15,
          16,
          17,
          18,
          19,
        ]);
        const tail = await get("/video.mp4", { headers: { Range: "bytes=-5" } });
        assert.equal(tail.headers.get("content-range"), "bytes 995-999/1000");
        assert.equal((await tail.arrayBuffer()).byteLength, 5);
        const bad = await get("/video.mp4", { headers: { Range: "bytes=5000-" } });
        assert.equal(bad.status, 416);
        assert.equal(bad.headers.get("content-range"), "bytes */1000");
        await bad.body?.cancel();
      });

      await t.step("no request escapes the root, whatever the encoding", async () => {
        for (
          const target of [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/..%2fsecret.txt",
            "/sub/../../secret.txt",
            "/alias/../../secret.txt",
            "/alias/..%2f..%2fsecret.txt",
            "/%c0%ae%c0%ae/secret.txt",
            "/a.txt%00.html",
          ]
        ) {
          const res = await rawRequest(
            server.port,
            `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
          );
          assert.ok(res.status === 400 || res.status === 404, `${target}: ${res.status}`);
          assert.ok(!res.text.includes("outside the root"), target);
        }
        // Dot segments that stay inside the root resolve like nginx's.
        const inside = await rawRequest(
          server.port,
          "GET /sub/../a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.equal(inside.text, "hello\n");
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test("virtual hosts are chosen by Host, the first server being the default", async () => {
  const s = await startTestServer(
    `access_log off;
     server { listen 127.0.0.1:0; server_name a.test; root site; }
     server { listen 127.0.0.1:0; server_name b.test *.b.test; root vhost-b; }`,
    FILES,
  );
  try {
    const ask = (host: string, path = "/") =>
      rawRequest(s.port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal((await ask("b.test")).text, "site b\n");
    assert.equal((await ask("B.TEST:8080")).text, "site b\n");
    assert.equal((await ask("www.b.test")).text, "site b\n");
    assert.equal((await ask("a.test")).text, "<h1>home</h1>\n");
    assert.equal((await ask("unknown.test")).text, "<h1>home</h1>\n");
    assert.equal((await ask("b.test", "http://a.test/a.txt")).text, "hello\n");
  } finally {
    await s.close();
  }
});

Deno.test("several listen addresses serve their own servers", async () => {
  const s = await startTestServer(
    `access_log off;
     server { listen 127.0.0.1:0; root site; }
     server { listen 127.0.0.2:0; root vhost-b; }`,
    FILES,
  );
  try {
    assert.equal(s.server.addrs.length, 2);
    const [a, b] = s.server.addrs;
    const one = await fetch(`http://127.0.0.1:${a!.port}/`);
    const two = await fetch(`http://127.0.0.2:${b!.port}/`);
    assert.equal(await one.text(), "<h1>home</h1>\n");
    assert.equal(await two.text(), "site b\n");
  } finally {
    await s.close();
  }
});

Deno.test("the access log gets one combined-format line per request", async () => {
  const s = await startTestServer(
    `server { listen 127.0.0.1:0; root site; access_log logs/access.log; }`,
    { ...FILES, "logs/.keep": "" },
  );
  try {
    const res = await fetch(s.base + "/a.txt?q=1", {
      headers: { "User-Agent": "tester/1.0", Referer: "http://ref/" },
    });
    await res.body?.cancel();
    await s.server.shutdown();
    const log = await Deno.readTextFile(`${s.dir}/logs/access.log`);
    assert.match(
      log,
      /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/a\.txt\?q=1 HTTP\/1\.1" 200 6 "http:\/\/ref\/" "tester\/1\.0"\n$/,
    );
  } finally {
    await s.close();
  }
});
