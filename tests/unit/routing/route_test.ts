import assert from "node:assert/strict";
import { matchLocation } from "../../../lib/routing/match_location.ts";
import { reroute, route } from "../../../lib/routing/route.ts";
import { selectServer } from "../../../lib/routing/select_server.ts";
import { testHead, testLocation, testServer } from "../_fixtures.ts";

const exact = (path: string) => testLocation({ path, modifier: "=" });
const prefix = (path: string) => testLocation({ path });

/** A server whose locations are sorted as the merge step sorts them. */
const SITE = testServer([
  exact("/"),
  exact("/login"),
  prefix("/static/img/"),
  prefix("/static/"),
  prefix("/dir/"),
  prefix("/api"),
  prefix("/"),
]);

Deno.test("matchLocation() takes an exact match first, else the longest prefix", () => {
  const table: [string, string, boolean][] = [
    ["/", "/", true],
    ["/login", "/login", true],
    ["/login/", "/", false],
    ["/static/img/a.png", "/static/img/", false],
    ["/static/a.css", "/static/", false],
    ["/static", "/", false],
    ["/apis", "/api", false],
    ["/api/v1", "/api", false],
    ["/other", "/", false],
    // "/dir" without its slash is not in "location /dir/" (the static handler redirects it).
    ["/dir", "/", false],
  ];
  for (const [path, location, isExact] of table) {
    const found = matchLocation(SITE, path).location;
    assert.deepEqual([found.path, found.modifier === "="], [location, isExact], path);
  }
});

const A = testServer(undefined, { serverNames: ["a.test"] });
const WILD = testServer(undefined, { serverNames: ["*.example.com"] });
const LONGER = testServer(undefined, { serverNames: ["*.www.example.com"] });
const TRAILING = testServer(undefined, { serverNames: ["mail.*"] });
const EXACT = testServer(undefined, { serverNames: ["www.example.com"] });

Deno.test("selectServer() picks exact, then leading wildcard, then trailing, else the default", () => {
  const servers = [A, WILD, LONGER, TRAILING, EXACT];
  const table: [string, typeof A][] = [
    ["a.test", A],
    ["www.example.com", EXACT],
    ["x.example.com", WILD],
    ["x.www.example.com", LONGER],
    ["mail.example.org", TRAILING],
    ["mail.example.com", WILD],
    ["unknown.test", A],
    ["", A],
  ];
  for (const [host, expected] of table) assert.equal(selectServer(servers, host), expected, host);
});

Deno.test("route() chooses the server by Host, decodes the path and finds the location", () => {
  const head = testHead({ target: "/static/a%20b.css?v=1", headers: [["host", "A.Test:8080"]] });
  const r = route([WILD, A], head);
  assert.ok(!("status" in r));
  assert.equal(r.server, A);
  assert.equal(r.host, "a.test");
  assert.equal(r.path, "/static/a b.css");
  assert.equal(r.location, A.locations[0]);
});

Deno.test("route() answers 400 for a bad Host or path, from the address's default server", () => {
  const noHost = route([A, WILD], testHead({ headers: [] }));
  assert.deepEqual(noHost, { server: A, status: 400, message: "Missing or invalid Host header" });
  const bad = route([A], testHead({ target: "/%zz", headers: [["host", "a.test"]] }));
  assert.deepEqual(bad, { server: A, status: 400, message: 'Invalid request path "/%zz"' });
  const above = route([A], testHead({ target: "/../etc/passwd", headers: [["host", "a.test"]] }));
  assert.ok("status" in above && above.status === 400);
});

Deno.test("reroute() aims an internal redirect at a local URI in the same server", () => {
  const r = reroute(SITE, "/static/x%2Fy.css?a=1");
  assert.ok(r !== null);
  assert.deepEqual([r.rawPath, r.query, r.path, r.location.path], [
    "/static/x%2Fy.css",
    "a=1",
    "/static/x/y.css",
    "/static/",
  ]);
  assert.equal(reroute(SITE, "relative"), null);
});
