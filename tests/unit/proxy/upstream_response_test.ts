/**
 * The client's fields of an upstream answer (lib/proxy/upstream_response.ts): no hop-by-hop
 * field nor one the upstream's Connection lists (RFC 9110 §7.6.1), none of nginx's hidden ones
 * (ngx_http_proxy_hide_headers) unless proxy_pass_header names them, none proxy_hide_header names,
 * and Location and Refresh rewritten by proxy_redirect (ngx_http_proxy_rewrite_redirect,
 * ngx_http_upstream_rewrite_location / _refresh). The configurations are read by parseConfig.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import type { LocationConfig, ServerConfig } from "../../../lib/config/types.ts";
import type { ResponseHead } from "../../../lib/proxy/response_parser.ts";
import {
  canonicalName,
  clientHeaders,
  rewriteRedirect,
} from "../../../lib/proxy/upstream_response.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { testContext, testHead } from "../_fixtures.ts";

const APP = "http://127.0.0.1:9001";

const SITE: ServerConfig = parseConfig(
  `upstream backend {\nserver 127.0.0.1:9002;\n}\nserver {
location / { proxy_pass ${APP}; }
location /api/ { proxy_pass ${APP}/v1/; }
location /up/ { proxy_pass http://backend/v1/; }
location = /exact { proxy_pass ${APP}/other; }
location ~ ^/re/ { proxy_pass ${APP}; }
location @named { proxy_pass ${APP}; }
location /off/ { proxy_pass ${APP}/v1/; proxy_redirect off; }
location /vars/ {
  proxy_pass ${APP}/;
  proxy_redirect http://$host:8080/ https://$host/;
  proxy_redirect http://$proxy_host/ /from-proxy-host/;
}
location /first/ {
  proxy_pass ${APP}/v1/;
  proxy_redirect http://a.test/ /one/;
  proxy_redirect http://a.test/b/ /two/;
}
location /longer-first/ {
  proxy_pass ${APP}/v1/;
  proxy_redirect http://a.test/b/ /two/;
  proxy_redirect http://a.test/ /one/;
}
location /both/ {
  proxy_pass ${APP}/v1/;
  proxy_redirect default;
  proxy_redirect http://a.test/ /a/;
}
location /explicit/ {
  proxy_pass ${APP}/v1/;
  proxy_redirect http://a.test/ /a/;
}
location /hide/ {
  proxy_pass ${APP};
  proxy_hide_header X-Secret;
  proxy_hide_header set-cookie;
}
location /pass/ {
  proxy_pass ${APP};
  proxy_pass_header Server;
  proxy_pass_header x-accel-expires;
  proxy_pass_header Date;
  proxy_pass_header X-Not-Hidden;
}
location /hide-and-pass/ {
  proxy_pass ${APP};
  proxy_hide_header X-Both;
  proxy_pass_header X-Both;
}
}\n`,
  "t.conf",
).servers[0]!;

function locationOf(path: string): LocationConfig {
  const found = [...SITE.locations, ...SITE.regexes, ...SITE.named.values()]
    .find((l) => l.path === path);
  assert.ok(found?.proxyPass != null, `no proxied location ${path}`);
  return found;
}

/** A request routed to the location `path` (host "localhost"). */
function ctxAt(path: string): RequestContext {
  return testContext({
    head: testHead({ target: "/x" }),
    server: SITE,
    location: locationOf(path),
  });
}

function answer(headers: [string, string][], status = 200): ResponseHead {
  return { minor: 1, status, reason: "OK", headers };
}

/** The client's fields for an answer with `headers`, in the location `path`. */
function passed(path: string, headers: [string, string][]): [string, string][] {
  return clientHeaders(ctxAt(path), answer(headers));
}

/** The Location the client gets for an upstream's `location`, in the location `path`. */
function location(path: string, value: string): string | undefined {
  return passed(path, [["location", value]]).find(([n]) => n === "Location")?.[1];
}

// --- Which fields pass --------------------------------------------------------------------------

Deno.test("clientHeaders(): the upstream's fields in its order, with the usual case", () => {
  assert.deepEqual(
    passed("/", [
      ["content-type", "text/html"],
      ["set-cookie", "a=1"],
      ["cache-control", "no-store"],
      ["set-cookie", "b=2"],
      ["etag", '"x"'],
      ["x-app", "1"],
    ]),
    [
      ["Content-Type", "text/html"],
      ["Set-Cookie", "a=1"],
      ["Cache-Control", "no-store"],
      ["Set-Cookie", "b=2"],
      ["Etag", '"x"'],
      ["X-App", "1"],
    ],
  );
});

Deno.test("clientHeaders(): nginx's hidden fields never pass: Date, Server, X-Pad, X-Accel-*", () => {
  const hidden: [string, string][] = [
    ["date", "Mon, 01 Jan 2024 00:00:00 GMT"],
    ["server", "app/1"],
    ["x-pad", "avoid browser bug"],
    ["x-accel-expires", "10"],
    ["x-accel-redirect", "/secret"],
    ["x-accel-limit-rate", "1024"],
    ["x-accel-buffering", "no"],
    ["x-accel-charset", "utf-8"],
  ];
  assert.deepEqual(passed("/", [...hidden, ["x-accel-other", "kept"], ["x-shown", "1"]]), [
    ["X-Accel-Other", "kept"],
    ["X-Shown", "1"],
  ]);
});

Deno.test("clientHeaders(): hop-by-hop fields and Content-Length never pass (the writer frames)", () => {
  assert.deepEqual(
    passed("/", [
      ["connection", "keep-alive"],
      ["keep-alive", "timeout=5"],
      ["proxy-connection", "keep-alive"],
      ["te", "trailers"],
      ["trailer", "x-checksum"],
      ["transfer-encoding", "chunked"],
      ["upgrade", "h2c"],
      ["content-length", "12"],
      ["x-kept", "1"],
    ]),
    [["X-Kept", "1"]],
  );
});

Deno.test("clientHeaders(): the fields the upstream's Connection lists are dropped, any case, any line", () => {
  assert.deepEqual(
    passed("/", [
      ["x-hop", "1"],
      ["connection", "X-Hop, close"],
      ["x-other", "2"],
      ["connection", " x-LATER ,,"],
      ["x-later", "3"],
      ["x-kept", "4"],
    ]),
    [["X-Other", "2"], ["X-Kept", "4"]],
  );
});

Deno.test("clientHeaders(): proxy_hide_header drops a field, whatever case the upstream uses", () => {
  assert.deepEqual(
    passed("/hide/", [
      ["x-secret", "s"],
      ["set-cookie", "a=1"],
      ["x-public", "p"],
      ["set-cookie", "b=2"],
    ]),
    [["X-Public", "p"]],
  );
  // Elsewhere the fields pass.
  assert.equal(passed("/", [["x-secret", "s"]]).length, 1);
});

Deno.test("clientHeaders(): proxy_pass_header passes hidden fields it names, and only those", () => {
  assert.deepEqual(
    passed("/pass/", [
      ["server", "app/1"],
      ["date", "Mon, 01 Jan 2024 00:00:00 GMT"],
      ["x-accel-expires", "10"],
      ["x-accel-redirect", "/secret"],
      ["x-pad", "x"],
      ["x-not-hidden", "1"],
    ]),
    [
      ["Server", "app/1"],
      ["Date", "Mon, 01 Jan 2024 00:00:00 GMT"],
      ["X-Accel-Expires", "10"],
      ["X-Not-Hidden", "1"],
    ],
  );
});

Deno.test("clientHeaders(): proxy_pass_header does not bring back hop-by-hop fields", () => {
  const ctx = ctxAt("/pass/");
  const location: LocationConfig = {
    ...ctx.location,
    proxyPassHeaders: ["connection", "transfer-encoding", "keep-alive"],
  };
  const out = clientHeaders(
    { ...ctx, location },
    answer([["connection", "close"], ["transfer-encoding", "chunked"], ["keep-alive", "5"]]),
  );
  assert.deepEqual(out, []);
});

/*
 * nginx (ngx_http_upstream_hide_headers_hash): the hidden list is nginx's defaults plus
 * proxy_hide_header's, and proxy_pass_header then removes its names from that whole list, so a
 * field both directives name is passed.
 */
Deno.test("clientHeaders(): a field named by proxy_hide_header and proxy_pass_header passes (nginx)", () => {
  assert.deepEqual(passed("/hide-and-pass/", [["x-both", "1"]]), [["X-Both", "1"]]);
});

// --- proxy_redirect -------------------------------------------------------------------------------

Deno.test("proxy_redirect default: the proxy_pass URL with its URI part becomes the location's path", () => {
  assert.equal(location("/api/", `${APP}/v1/users?x=1`), "/api/users?x=1");
  assert.equal(location("/api/", `${APP}/v1/`), "/api/");
  assert.equal(location("/up/", "http://backend/v1/a"), "/up/a");
  assert.equal(location("/exact", `${APP}/other?q`), "/exact?q");
  // Only a URL that starts with it.
  assert.equal(location("/api/", `${APP}/v2/users`), `${APP}/v2/users`);
  assert.equal(location("/api/", "http://elsewhere.test/v1/x"), "http://elsewhere.test/v1/x");
  assert.equal(location("/api/", "/v1/relative"), "/v1/relative");
  // Compared byte for byte, as nginx (ngx_rstrncmp).
  assert.equal(location("/up/", "http://BACKEND/v1/a"), "http://BACKEND/v1/a");
});

Deno.test("proxy_redirect default without a URI part: the URL's root becomes /", () => {
  assert.equal(location("/", `${APP}/raw/x`), "/raw/x");
  assert.equal(location("/", `${APP}/`), "/");
  // Not the same authority: left alone (":90011" is another port).
  assert.equal(location("/", `${APP}1/x`), `${APP}1/x`);
  assert.equal(location("/", APP), APP);
});

Deno.test("proxy_redirect default in regex and named locations (no URI part there): root to /", () => {
  assert.equal(location("^/re/", `${APP}/re/x`), "/re/x");
  assert.equal(location("@named", `${APP}/n/x?y`), "/n/x?y");
});

Deno.test("proxy_redirect off: Location and Refresh pass as they are", () => {
  const out = passed("/off/", [
    ["location", `${APP}/v1/x`],
    ["refresh", `0; url=${APP}/v1/x`],
  ]);
  assert.deepEqual(out, [["Location", `${APP}/v1/x`], ["Refresh", `0; url=${APP}/v1/x`]]);
});

Deno.test("proxy_redirect from to: both sides may hold variables", () => {
  assert.equal(location("/vars/", "http://localhost:8080/a/b"), "https://localhost/a/b");
  assert.equal(location("/vars/", "http://127.0.0.1:9001/p"), "/from-proxy-host/p");
  // Rules written in a location replace the default one.
  assert.equal(location("/vars/", `${APP}/`), "/from-proxy-host/");
  assert.equal(location("/explicit/", `${APP}/v1/x`), `${APP}/v1/x`);
  assert.equal(location("/explicit/", "http://a.test/x"), "/a/x");
});

Deno.test("proxy_redirect: the first rule that matches wins, not the longest", () => {
  assert.equal(location("/first/", "http://a.test/b/c"), "/one/b/c");
  assert.equal(location("/longer-first/", "http://a.test/b/c"), "/two/c");
  assert.equal(location("/longer-first/", "http://a.test/c"), "/one/c");
  // default among other rules: in its place.
  assert.equal(location("/both/", `${APP}/v1/x`), "/both/x");
  assert.equal(location("/both/", "http://a.test/x"), "/a/x");
});

Deno.test("proxy_redirect: each Location line is rewritten", () => {
  assert.deepEqual(
    passed("/api/", [["location", `${APP}/v1/a`], ["location", `${APP}/v1/b`]]),
    [["Location", "/api/a"], ["Location", "/api/b"]],
  );
});

Deno.test("rewriteRedirect(): the URL rewritten by the location's rules", () => {
  assert.equal(rewriteRedirect(ctxAt("/api/"), `${APP}/v1/z`), "/api/z");
  assert.equal(rewriteRedirect(ctxAt("/off/"), `${APP}/v1/z`), `${APP}/v1/z`);
  // A location that does not proxy rewrites nothing.
  const ctx = ctxAt("/api/");
  assert.equal(
    rewriteRedirect({ ...ctx, location: { ...ctx.location, proxyPass: null } }, `${APP}/v1/z`),
    `${APP}/v1/z`,
  );
});

Deno.test("Refresh: the URL after url= (any case) is rewritten, the rest kept", () => {
  const refresh = (path: string, value: string) =>
    passed(path, [["refresh", value]]).find(([n]) => n === "Refresh")?.[1];
  assert.equal(refresh("/api/", `5; url=${APP}/v1/next`), "5; url=/api/next");
  assert.equal(refresh("/api/", `0;URL=${APP}/v1/next`), "0;URL=/api/next");
  assert.equal(refresh("/api/", `3; Url=${APP}/v1/`), "3; Url=/api/");
  // No url=, or a URL no rule matches: as it was.
  assert.equal(refresh("/api/", "10"), "10");
  assert.equal(refresh("/api/", "1; url=http://other.test/v1/x"), "1; url=http://other.test/v1/x");
  // Only the first url= counts.
  assert.equal(
    refresh("/api/", `1; url=${APP}/v1/a?next=url=${APP}/v1/b`),
    `1; url=/api/a?next=url=${APP}/v1/b`,
  );
  assert.equal(refresh("/vars/", "2; url=http://localhost:8080/x"), "2; url=https://localhost/x");
});

// --- canonicalName ------------------------------------------------------------------------------

Deno.test("canonicalName(): the first letter of each dash-separated word upper-cased", () => {
  const cases: Array<[string, string]> = [
    ["content-type", "Content-Type"],
    ["location", "Location"],
    ["etag", "Etag"],
    ["www-authenticate", "Www-Authenticate"],
    ["x-a-b", "X-A-B"],
    ["x--y", "X--Y"],
    ["x-1st", "X-1st"],
    ["x_under_score", "X_under_score"],
    ["a", "A"],
    ["-x", "-X"],
    ["already-Upper", "Already-Upper"],
  ];
  for (const [name, expected] of cases) assert.equal(canonicalName(name), expected, name);
});
