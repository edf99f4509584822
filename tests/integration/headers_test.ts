/** add_header, expires, server_tokens and etag over real sockets. */
import assert from "node:assert/strict";
import { rawRequest } from "./_client.ts";
import { withTestServer } from "./_server.ts";

const CONFIG = `
access_log off;
add_header X-Frame-Options DENY;
server {
  listen 127.0.0.1:0;
  root site;
  server_tokens off;
  add_header Strict-Transport-Security "max-age=31536000" always;
  add_header X-Served-By $host;
  location /assets/ { expires 7d; }
  location /old/ { expires epoch; }
  location /forever/ { expires max; etag off; }
  location /plain/ { }
  location /top/ { add_header X-Only-Here 1; }
}
`;
const FILES = {
  "site/assets/a.css": "a{}\n",
  "site/old/a.txt": "old\n",
  "site/forever/a.txt": "forever\n",
  "site/plain/a.txt": "plain\n",
  "site/top/a.txt": "top\n",
};

async function get(port: number, path: string) {
  return await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: example.test\r\n\r\n`);
}

Deno.test("add_header adds to 2xx and redirects, `always` to errors too; a level with its own replaces the inherited", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const ok = await get(port, "/plain/a.txt");
    assert.equal(ok.headers.get("strict-transport-security"), "max-age=31536000");
    assert.equal(ok.headers.get("x-served-by"), "example.test");
    // The server has add_header lines: the http level's are not inherited, as in nginx.
    assert.equal(ok.headers.get("x-frame-options"), undefined);
    const missing = await get(port, "/plain/none");
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("strict-transport-security"), "max-age=31536000");
    assert.equal(missing.headers.get("x-served-by"), undefined);
    // A location with add_header of its own keeps only those.
    const top = await get(port, "/top/a.txt");
    assert.equal(top.headers.get("x-only-here"), "1");
    assert.equal(top.headers.get("strict-transport-security"), undefined);
  });
});

Deno.test("expires sets Expires and Cache-Control", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const assets = await get(port, "/assets/a.css");
    assert.equal(assets.headers.get("cache-control"), "max-age=604800");
    const expires = Date.parse(assets.headers.get("expires") ?? "");
    assert.ok(Math.abs(expires - (Date.now() + 7 * 86_400_000)) < 5000, String(expires));
    const old = await get(port, "/old/a.txt");
    assert.equal(old.headers.get("expires"), "Thu, 01 Jan 1970 00:00:01 GMT");
    assert.equal(old.headers.get("cache-control"), "no-cache");
    const forever = await get(port, "/forever/a.txt");
    assert.equal(forever.headers.get("expires"), "Thu, 31 Dec 2037 23:55:55 GMT");
    assert.equal(forever.headers.get("cache-control"), "max-age=315360000");
    assert.equal((await get(port, "/plain/a.txt")).headers.get("expires"), undefined);
  });
});

Deno.test("server_tokens off leaves the version out; etag off leaves ETag out", async () => {
  await withTestServer(CONFIG, FILES, async ({ port }) => {
    const res = await get(port, "/forever/a.txt");
    assert.equal(res.headers.get("server"), "webserv");
    assert.equal(res.headers.get("etag"), undefined);
    assert.ok(res.headers.get("last-modified"));
    assert.ok((await get(port, "/plain/a.txt")).headers.get("etag"));
  });
});
