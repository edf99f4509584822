/** The phase engine: phase order, error pages and the filters, with the real handlers. */
import assert from "node:assert/strict";
import type { LocationConfig, ServerConfig } from "../../../lib/config/types.ts";
import type { Response } from "../../../lib/http/response.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { runPhases } from "../../../lib/phases/engine.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import { matchLocation } from "../../../lib/routing/match_location.ts";
import { template, testContext, testHead, testLocation, testServer } from "../_fixtures.ts";

const dec = new TextDecoder();
const ROOT = await Deno.makeTempDir({ prefix: "engine_test_" });
await Deno.writeTextFile(`${ROOT}/404.html`, "custom not found\n");
await Deno.writeTextFile(`${ROOT}/a.txt`, "a\n");
addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

const errorPages = new Map([[404, "/404.html"], [405, "/missing.html"], [
  410,
  "http://e.test/gone",
]]);

function site(server: Partial<ServerConfig> = {}, locations: Partial<LocationConfig>[] = []) {
  const all = [...locations.map((l) => testLocation({ root: ROOT, errorPages, ...l }))];
  all.push(testLocation({ root: ROOT, errorPages }));
  return testServer(all, { root: ROOT, ...server });
}

async function answer(
  server: ServerConfig,
  method: string,
  target: string,
  headers: [string, string][] = [],
  bodyLength = 0,
): Promise<Response> {
  const head = testHead({ method, target, headers: [["host", "x"], ...headers] });
  const path = head.rawPath;
  const ctx: RequestContext = testContext({
    head,
    path,
    server,
    ...matchLocation(server, path),
    body: { length: bodyLength, read: () => Promise.resolve(null) },
  });
  return (await runPhases(ctx, PIPELINE)).res;
}

function text(res: Response): string {
  return res.body instanceof Uint8Array ? dec.decode(res.body) : String(res.body);
}

Deno.test("the phases run in nginx's order", () => {
  assert.deepEqual(PIPELINE.phases.map((p) => p.name), [
    "post-read",
    "server-rewrite",
    "find-config",
    "rewrite",
    "access",
    "content",
  ]);
});

Deno.test("runPhases() lets the server's return answer before the location's limits", async () => {
  const limited = {
    path: "/up/",
    clientMaxBodySize: 10,
    return: { code: 200, text: template("loc") },
  };
  const plain = site({}, [limited]);
  // find-config (413) comes before the location's rewrite phase (return)...
  assert.equal((await answer(plain, "POST", "/up/", [], 100)).status, 413);
  assert.equal(text(await answer(plain, "POST", "/up/", [], 5)), "loc");
  // ...but after the server's own return.
  const returning = site({ return: { code: 301, text: template("https://x$request_uri") } }, [
    limited,
  ]);
  const moved = await answer(returning, "POST", "/up/", [], 100);
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.find(([n]) => n === "Location")?.[1], "https://x/up/");
});

Deno.test("runPhases() answers 501 for an unknown method and 405 outside allow_methods", async () => {
  const server = site({}, [{ path: "/ro/", allowMethods: ["GET", "HEAD"] }]);
  assert.equal((await answer(server, "BREW", "/a.txt")).status, 501);
  const refused = await answer(server, "DELETE", "/ro/a.txt");
  assert.equal(refused.status, 405);
  assert.equal(refused.headers.find(([n]) => n === "Allow")?.[1], "GET, HEAD");
});

Deno.test("runPhases() serves error pages with the error's status, else the generated page", async () => {
  const server = site();
  const missing = await answer(server, "GET", "/nothing.txt");
  assert.equal(missing.status, 404);
  assert.equal(text(missing), "custom not found\n");
  // The error page of 405 does not exist: the generated page, with Allow kept.
  const refused = await answer(server, "POST", "/a.txt");
  assert.equal(refused.status, 405);
  assert.match(text(refused), /405 Not Allowed|405 Method Not Allowed/);
  assert.equal(refused.headers.find(([n]) => n === "Allow")?.[1], "GET, HEAD");
  // An absolute URL is a redirect to it.
  const gone = site({}, [{ path: "/old/", return: { code: 410 } }]);
  const redirected = await answer(gone, "GET", "/old/x");
  assert.equal(redirected.status, 302);
  assert.equal(redirected.headers.find(([n]) => n === "Location")?.[1], "http://e.test/gone");
});

Deno.test("runPhases() passes the final response through the filters", async () => {
  const server = site();
  const full = await answer(server, "GET", "/a.txt");
  const etag = full.headers.find(([n]) => n === "ETag")![1];
  assert.equal((await answer(server, "GET", "/a.txt", [["if-none-match", etag]])).status, 304);
  assert.equal((await answer(server, "GET", "/a.txt", [["range", "bytes=0-0"]])).status, 206);
  // An error page is never cut: the filters see the error status.
  assert.equal((await answer(server, "GET", "/nothing", [["range", "bytes=0-0"]])).status, 404);
});
