/** The phase engine with the real pipeline, on configurations as the loader makes them. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../../lib/config/load.ts";
import type { ServerConfig } from "../../../lib/config/types.ts";
import type { Response } from "../../../lib/http/response.ts";
import { runPhases } from "../../../lib/phases/engine.ts";
import { route } from "../../../lib/routing/route.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import { type LoggedLines, testContext, testHead, testServices } from "../_fixtures.ts";

const dec = new TextDecoder();
const ROOT = await Deno.makeTempDir({ prefix: "engine_test_" });
for (
  const [name, text] of Object.entries({
    "404.html": "custom not found\n",
    "a.txt": "a\n",
    "index.html": "the app\n",
    "docs/index.html": "docs\n",
    "new/page.txt": "new page\n",
  })
) {
  await Deno.mkdir(join(ROOT, name, ".."), { recursive: true });
  await Deno.writeTextFile(join(ROOT, name), text);
}
addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

function site(body: string): ServerConfig {
  return parseConfig(`server {\n  root ${ROOT};\n${body}\n}\n`, join(ROOT, "t.conf")).servers[0]!;
}

interface Answered {
  res: Response;
  text: string;
  header(name: string): string | undefined;
  /** The path and location that answered. */
  path: string;
  location: string;
}

const logged: LoggedLines = [];
const services = await testServices({}, logged);

async function answer(
  server: ServerConfig,
  method: string,
  target: string,
  headers: [string, string][] = [],
  bodyLength = 0,
): Promise<Answered> {
  const head = testHead({ method, target, headers: [["host", "x"], ...headers] });
  const routed = route([server], head);
  assert.ok(!("status" in routed), "unroutable");
  const ctx = testContext({
    ...routed,
    head,
    services,
    body: { length: bodyLength, read: () => Promise.resolve(null) },
  });
  const { res, ctx: final } = await runPhases(ctx, PIPELINE);
  const text = res.body instanceof Uint8Array ? dec.decode(res.body) : "";
  return {
    res,
    text,
    header: (name) => res.headers.find(([n]) => n.toLowerCase() === name)?.[1],
    path: final.path,
    location: final.location.path,
  };
}

Deno.test("the phases run in nginx's order", () => {
  assert.deepEqual(PIPELINE.phases.map((p) => p.name), [
    "post-read",
    "server-rewrite",
    "find-config",
    "rewrite",
    "preaccess",
    "access",
    "precontent",
    "content",
  ]);
});

Deno.test("the server's return answers before the location's limits, the location's after", async () => {
  const limited = 'location /up/ { client_max_body_size 10; return 200 "loc"; }';
  const plain = site(limited);
  // find-config (413) comes before the location's rewrite phase (return)...
  assert.equal((await answer(plain, "POST", "/up/", [], 100)).res.status, 413);
  assert.equal((await answer(plain, "POST", "/up/", [], 5)).text, "loc");
  // ...but after the server's own return.
  const returning = site(`return 301 https://x$request_uri;\n${limited}`);
  const moved = await answer(returning, "POST", "/up/", [], 100);
  assert.equal(moved.res.status, 301);
  assert.equal(moved.header("location"), "https://x/up/");
});

Deno.test("an unknown method is 501, one outside allow_methods 405 with Allow", async () => {
  const server = site("location /ro/ { allow_methods GET; }");
  assert.equal((await answer(server, "BREW", "/a.txt")).res.status, 501);
  const refused = await answer(server, "DELETE", "/ro/a.txt");
  assert.equal(refused.res.status, 405);
  assert.equal(refused.header("allow"), "GET, HEAD");
});

Deno.test("rewrite: no flag goes on and searches again; last searches at once; break stays", async () => {
  const server = site(`
  rewrite ^/old/(.*)$ /new/$1;
  location /new/ { }
  location /moved/ { rewrite ^/moved/(.*)$ /new/$1 last; return 403; }
  location /kept/ { rewrite ^/kept/(.*)$ /new/$1 break; }
  location /chain/ { rewrite ^/chain/a$ /chain/b; rewrite ^/chain/b$ /new/page.txt; return 410; }`);
  const old = await answer(server, "GET", "/old/page.txt");
  assert.deepEqual([old.res.status, old.text, old.location], [200, "new page\n", "/new/"]);
  const moved = await answer(server, "GET", "/moved/page.txt");
  assert.deepEqual([moved.text, moved.location], ["new page\n", "/new/"]);
  const kept = await answer(server, "GET", "/kept/page.txt");
  assert.deepEqual([kept.text, kept.location, kept.path], [
    "new page\n",
    "/kept/",
    "/new/page.txt",
  ]);
  // Directives without a flag run on in order; a later return still answers.
  assert.equal((await answer(server, "GET", "/chain/a")).res.status, 410);
});

Deno.test("rewrite: redirects, and the request's arguments", async () => {
  const server = site(`
  rewrite ^/r$ /target redirect;
  rewrite ^/p$ /target?x=1 permanent;
  rewrite ^/q$ /target? redirect;
  rewrite ^/away$ https://example.com/landing;`);
  const r = await answer(server, "GET", "/r?a=b");
  assert.deepEqual([r.res.status, r.header("location")], [302, "/target?a=b"]);
  const p = await answer(server, "GET", "/p?a=b");
  assert.deepEqual([p.res.status, p.header("location")], [301, "/target?x=1&a=b"]);
  const q = await answer(server, "GET", "/q?a=b");
  assert.equal(q.header("location"), "/target");
  const away = await answer(server, "GET", "/away");
  assert.deepEqual([away.res.status, away.header("location")], [
    302,
    "https://example.com/landing",
  ]);
});

Deno.test("rewrite: a cycle ends after 10 changes with a 500, logged once", async () => {
  const server = site("location / { rewrite ^(.*)$ $1 last; }");
  assert.equal((await answer(server, "GET", "/loop")).res.status, 500);
  assert.ok(logged.some(([, line]) => /Rewrite or internal redirection cycle/.test(line)));
});

Deno.test("try_files serves the first that exists, else its fallback", async () => {
  const server = site(`
  location / { try_files $uri $uri/ /index.html; }
  location /strict/ { try_files $uri =404; }
  location /named/ { try_files /nothing @app; }
  location @app { return 200 "app for $uri"; }`);
  assert.equal((await answer(server, "GET", "/a.txt")).text, "a\n");
  // "$uri/" names the directory and goes on without the slash, as in nginx: a redirect to "/docs/".
  const dir = await answer(server, "GET", "/docs?x=1");
  assert.equal(dir.res.status, 301);
  assert.equal(dir.res.headers.find(([name]) => name === "Location")?.[1], "/docs/?x=1");
  assert.equal((await answer(server, "GET", "/docs/")).text, "docs\n");
  // The single-page app: any other path gets the app.
  const spa = await answer(server, "GET", "/some/route?x=1");
  assert.deepEqual([spa.res.status, spa.text, spa.path], [200, "the app\n", "/index.html"]);
  assert.equal((await answer(server, "GET", "/strict/none")).res.status, 404);
  assert.equal((await answer(server, "GET", "/named/x")).text, "app for /named/x");
});

Deno.test("error_page: the error's status, =code, = and named locations", async () => {
  const server = site(`
  error_page 404 /404.html;
  location /spa/ { error_page 404 =200 /index.html; }
  location /own/ { error_page 404 = @own; }
  location /gone/ { error_page 410 https://e.test/gone; return 410; }
  location /ro/ { allow_methods GET; error_page 405 /missing.html; }
  location @own { return 202 "named"; }`);
  const missing = await answer(server, "GET", "/nothing.txt");
  assert.deepEqual([missing.res.status, missing.text], [404, "custom not found\n"]);
  const spa = await answer(server, "GET", "/spa/route");
  assert.deepEqual([spa.res.status, spa.text], [200, "the app\n"]);
  const own = await answer(server, "GET", "/own/x");
  assert.deepEqual([own.res.status, own.text], [202, "named"]);
  const gone = await answer(server, "GET", "/gone/x");
  assert.deepEqual([gone.res.status, gone.header("location")], [302, "https://e.test/gone"]);
  // The page of 405 does not exist: the generated page, with Allow kept.
  const refused = await answer(server, "POST", "/ro/a.txt");
  assert.equal(refused.res.status, 405);
  assert.match(refused.text, /405 Not Allowed|405 Method Not Allowed/);
  assert.equal(refused.header("allow"), "GET, HEAD");
});

Deno.test("the final response passes through the filters; error pages are never cut", async () => {
  const server = site("error_page 404 /404.html;");
  const full = await answer(server, "GET", "/a.txt");
  const etag = full.header("etag")!;
  assert.equal((await answer(server, "GET", "/a.txt", [["if-none-match", etag]])).res.status, 304);
  assert.equal((await answer(server, "GET", "/a.txt", [["range", "bytes=0-0"]])).res.status, 206);
  assert.equal((await answer(server, "GET", "/nothing", [["range", "bytes=0-0"]])).res.status, 404);
});

Deno.test("return's text is typed by the URI's extension, else default_type (nginx)", async () => {
  const server = site(`
  location /api/ { try_files /nothing @api; }
  location @api { default_type application/json; return 200 '{"ok":true}'; }`);
  assert.equal((await answer(server, "GET", "/api/x")).header("content-type"), "application/json");
  assert.match((await answer(server, "GET", "/api/x.js")).header("content-type")!, /javascript/);
});

Deno.test("a proxying location /dir/ redirects /dir to /dir/ before anything else", async () => {
  const server = site(`location /app/ { deny all; proxy_pass http://127.0.0.1:9; }`);
  const res = (await answer(server, "GET", "/app?a=1")).res;
  assert.equal(res.status, 301);
  assert.equal(res.headers.find(([name]) => name === "Location")?.[1], "/app/?a=1");
});
