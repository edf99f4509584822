/**
 * What goes upstream (lib/proxy/upstream_request.ts): the URI by nginx's replacement rule
 * (ngx_http_proxy_create_request: the unparsed URI when proxy_pass has no URI part and the URI is
 * unchanged, else the location's prefix replaced by the URI part, the rest re-escaped) and the
 * head (nginx's default fields: `Host: $proxy_host`, `Connection: close`, no TE, Keep-Alive,
 * Expect, Upgrade; the proxy_set_header lines; the client's other fields).
 *
 * The configurations are read by parseConfig; a URI changed by a rewrite or a try_files fallback
 * is given as lib/phases/engine.ts makes it (applyChange: the head's rawPath becomes the new path
 * encoded, its query the new query, its target stays as the client sent it).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import type { LocationConfig, ProxyPass, ServerConfig } from "../../../lib/config/types.ts";
import type { RequestHead } from "../../../lib/http/request.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import {
  type SendOptions,
  upstreamRequest,
  upstreamUri,
} from "../../../lib/proxy/upstream_request.ts";
import { testContext, testHead } from "../_fixtures.ts";

const PORT = 9001;
const APP = `http://127.0.0.1:${PORT}`;

/** The first server of `text` (upstream blocks, if any, go in `top`). */
function site(body: string, top = ""): ServerConfig {
  return parseConfig(`${top}server {\n${body}\n}\n`, "t.conf").servers[0]!;
}

/** A location of `server` by its path as written (prefix, exact, regex, or "@name"). */
function locationOf(server: ServerConfig, path: string): LocationConfig {
  const found = [...server.locations, ...server.regexes, ...server.named.values()]
    .find((l) => l.path === path);
  assert.ok(found !== undefined, `no location ${path}`);
  assert.ok(found.proxyPass !== null, `location ${path} does not proxy`);
  return found;
}

/** The request `target` (with `head` overrides) as routed to `location` of `server`. */
function request(
  server: ServerConfig,
  location: LocationConfig,
  target: string,
  head: Partial<RequestHead> = {},
): RequestContext {
  return testContext({ head: testHead({ target, ...head }), server, location });
}

/** The request as lib/phases/engine.ts leaves it after a URI change to `path` and `query`. */
function changed(
  ctx: RequestContext,
  location: LocationConfig,
  path: string,
  query: string,
  rawPath: string,
): RequestContext {
  return { ...ctx, location, path, head: { ...ctx.head, rawPath, query } };
}

function passOf(ctx: RequestContext): ProxyPass {
  return ctx.location.proxyPass!;
}

const CLOSE: SendOptions = { keepAlive: false, bodyLength: null };
const KEEP: SendOptions = { keepAlive: true, bodyLength: null };

/** The head sent upstream as text, and its lines. */
function headOf(
  ctx: RequestContext,
  options: SendOptions = CLOSE,
): { text: string; lines: string[] } {
  const { bytes, uri } = upstreamRequest(ctx, passOf(ctx), options);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.ok(text.endsWith("\r\n\r\n"), JSON.stringify(text));
  const lines = text.slice(0, -4).split("\r\n");
  // The URI reported (for the error log's upstream:) is the request line's.
  assert.equal(lines[0]!.split(" ")[1], uri);
  return { text, lines };
}

// --- The URI --------------------------------------------------------------------------------------

const URI_SITE = site(`
location /api/ { proxy_pass ${APP}/v1/; }
location /slash/ { proxy_pass ${APP}/; }
location /bare { proxy_pass ${APP}/b; }
location /raw/ { proxy_pass ${APP}; }
location = /exact { proxy_pass ${APP}/other; }
location = /exact-bare { proxy_pass ${APP}; }
location ^~ /stop/ { proxy_pass ${APP}/s/; }
location ~ ^/re/ { proxy_pass ${APP}; }
location ~* \\.PHP$ { proxy_pass ${APP}; }
location @named { proxy_pass ${APP}; }
`);

/** [location, target as sent, URI sent upstream] */
const URIS: Array<[location: string, target: string, expected: string]> = [
  // A URI part replaces the part of the path the prefix matched; the query goes as sent.
  ["/api/", "/api/users?page=2", "/v1/users?page=2"],
  ["/api/", "/api/", "/v1/"],
  ["/api/", "/api/a/b/c.json", "/v1/a/b/c.json"],
  ["/api/", "/api/x?q=%20a+b&r=%2F", "/v1/x?q=%20a+b&r=%2F"],
  // The rest of the path is decoded, then escaped again (nginx's ngx_escape_uri, NGX_ESCAPE_URI).
  ["/api/", "/api/a%20b", "/v1/a%20b"],
  ["/api/", "/api/caf%C3%A9", "/v1/caf%C3%A9"],
  ["/api/", "/api/a%2Fb", "/v1/a/b"],
  ["/api/", "/api/%3F%23%25", "/v1/%3F%23%25"],
  ["/api/", "/api/a%0D%0Ab", "/v1/a%0D%0Ab"],
  ["/api/", "/api/%7Euser", "/v1/~user"],
  // Dot segments are resolved before the prefix is replaced.
  ["/api/", "/api/a/../b", "/v1/b"],
  ["/slash/", "/slash/x/y?z", "/x/y?z"],
  // A URI part without a trailing slash: plain replacement, as nginx does.
  ["/bare", "/bare/x", "/b/x"],
  ["/bare", "/barefoot", "/bfoot"],
  ["/stop/", "/stop/x", "/s/x"],
  // An exact location: its whole path is replaced.
  ["/exact", "/exact", "/other"],
  ["/exact", "/exact?q", "/other?q"],
  // No URI part: the URI exactly as the client sent it, encoding and all.
  ["/raw/", "/raw/a%2Fb?x=%41", "/raw/a%2Fb?x=%41"],
  ["/raw/", "/raw/a%20b", "/raw/a%20b"],
  ["/raw/", "/raw/%7euser/../x", "/raw/%7euser/../x"],
  ["/raw/", "/raw/caf%c3%a9?%", "/raw/caf%c3%a9?%"],
  ["/exact-bare", "/exact-bare?a=1", "/exact-bare?a=1"],
  // Regular-expression and named locations cannot have a URI part: the URI as sent.
  ["^/re/", "/re/a%20b?x=%2F", "/re/a%20b?x=%2F"],
  ["\\.PHP$", "/Index.php?x", "/Index.php?x"],
  ["@named", "/n/a%20b?c", "/n/a%20b?c"],
];

for (const [path, target, expected] of URIS) {
  Deno.test(`upstreamUri(): location ${path}, ${target} → ${expected}`, () => {
    const location = locationOf(URI_SITE, path);
    const ctx = request(URI_SITE, location, target);
    assert.equal(upstreamUri(ctx, passOf(ctx)), expected);
  });
}

Deno.test("upstreamUri(): a path changed by a rewrite out of the prefix goes whole, encoded", () => {
  // rewrite ^/api/(.*)$ /internal/$1 break;  (nginx: valid_location = 0, the URI part ignored)
  const api = locationOf(URI_SITE, "/api/");
  const ctx = changed(
    request(URI_SITE, api, "/api/a%20b?x=1"),
    api,
    "/internal/a b",
    "x=1",
    "/internal/a%20b",
  );
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/internal/a%20b?x=1");
  // Without a URI part: the changed URI, encoded, with the changed query.
  const raw = locationOf(URI_SITE, "/raw/");
  const moved = changed(
    request(URI_SITE, raw, "/raw/x?a=1"),
    raw,
    "/raw/new path",
    "b=2",
    "/raw/new%20path",
  );
  assert.equal(upstreamUri(moved, passOf(moved)), "/raw/new%20path?b=2");
  // Only the query changed.
  const args = changed(request(URI_SITE, raw, "/raw/x?a=1"), raw, "/raw/x", "a=1&z=9", "/raw/x");
  assert.equal(upstreamUri(args, passOf(args)), "/raw/x?a=1&z=9");
});

Deno.test("upstreamUri(): a rewrite ... last into another location gets that location's rule", () => {
  // rewrite ^/old/(.*)$ /api/$1 last; → location /api/ found again, its prefix replaced.
  const api = locationOf(URI_SITE, "/api/");
  const ctx = changed(request(URI_SITE, api, "/old/a%20b?k"), api, "/api/a b", "k", "/api/a%20b");
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/v1/a%20b?k");
});

Deno.test("upstreamUri(): a regex location after a rewrite sends the new path, encoded", () => {
  const re = locationOf(URI_SITE, "^/re/");
  const ctx = changed(request(URI_SITE, re, "/re/x"), re, "/re/y z", "", "/re/y%20z");
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/re/y%20z");
});

/*
 * nginx (ngx_http_script_regex_end_code, "break"): a URI changed by `rewrite … break` in the
 * proxied location clears valid_location, and the proxy then sends the changed URI whole, its
 * URI part ignored ("When the URI is changed inside a proxied location using the rewrite
 * directive […] the full changed request URI is passed to the server"), even when the new path
 * still starts with the location's prefix.
 */
Deno.test("upstreamUri(): rewrite … break to a path still under the prefix: the changed URI goes whole (nginx)", () => {
  // location /api/ { rewrite ^/api/(.*)$ /api/v2/$1 break; proxy_pass http://…/v1/; }
  const api = locationOf(URI_SITE, "/api/");
  const ctx = changed(request(URI_SITE, api, "/api/x"), api, "/api/v2/x", "", "/api/v2/x");
  // As the phase engine marks a rewrite … break (a rewrite … last searches the locations again).
  assert.equal(upstreamUri({ ...ctx, uriRewritten: true }, passOf(ctx)), "/api/v2/x");
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/v1/v2/x");
});

/*
 * nginx (ngx_http_named_location) keeps r->valid_unparsed_uri: a named location reached by
 * try_files or error_page sends the URI as the client sent it, not the decoded path re-encoded.
 */
Deno.test("upstreamUri(): a named location reached by try_files sends the URI as the client sent it (nginx)", () => {
  const named = locationOf(URI_SITE, "@named");
  // try_files $uri @named; as lib/phases/try_files.ts and applyChange make it: the same path and
  // query, so the head is kept as the client sent it.
  const ctx = { ...request(URI_SITE, named, "/%7Euser/a%2Fb?q"), location: named };
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/%7Euser/a%2Fb?q");
});

/* nginx sends r->unparsed_uri: an empty query ("?" and nothing after it) is part of it. */
Deno.test("upstreamUri(): without a URI part, an empty query is sent as the client sent it (nginx)", () => {
  const raw = locationOf(URI_SITE, "/raw/");
  const ctx = request(URI_SITE, raw, "/raw/p?");
  assert.equal(upstreamUri(ctx, passOf(ctx)), "/raw/p?");
});

// --- The head: request line, Host, Connection ------------------------------------------------------

const HEAD_SITE = site(
  `
location / { proxy_pass ${APP}; }
location /v11/ { proxy_pass ${APP}; proxy_http_version 1.1; }
location /port80/ { proxy_pass http://127.0.0.1/; }
location /named/ { proxy_pass http://Backend/x/; }
location /host/ { proxy_pass ${APP}; proxy_set_header Host $host; }
location /host-port/ { proxy_pass ${APP}; proxy_set_header Host $http_host; }
location /host-proxy/ { proxy_pass ${APP}; proxy_set_header Host $proxy_host:$proxy_port; }
location /no-host/ { proxy_pass ${APP}; proxy_set_header Host ""; }
`,
  "upstream backend {\nserver 127.0.0.1:9002;\n}\n",
);

Deno.test("upstreamRequest(): nginx's defaults: HTTP/1.0, Host: $proxy_host, Connection: close", () => {
  const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, "/"), "/p?q=1", { method: "POST" });
  assert.equal(
    headOf(ctx).text,
    `POST /p?q=1 HTTP/1.0\r\nHost: 127.0.0.1:${PORT}\r\nConnection: close\r\n\r\n`,
  );
});

Deno.test("upstreamRequest(): the method goes as the client sent it", () => {
  for (const method of ["GET", "HEAD", "DELETE", "PATCH", "OPTIONS", "PROPFIND"]) {
    const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, "/"), "/m", { method });
    assert.equal(headOf(ctx).lines[0], `${method} /m HTTP/1.0`);
  }
});

Deno.test("upstreamRequest(): proxy_http_version 1.1 without keepalive: HTTP/1.1 and Connection: close", () => {
  const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, "/v11/"), "/v11/x");
  assert.deepEqual(headOf(ctx).lines, [
    "GET /v11/x HTTP/1.1",
    `Host: 127.0.0.1:${PORT}`,
    "Connection: close",
  ]);
});

Deno.test("upstreamRequest(): a kept-alive connection: HTTP/1.1 and no Connection field", () => {
  for (const path of ["/", "/v11/"]) {
    const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, path), `${path}k`);
    assert.deepEqual(headOf(ctx, KEEP).lines, [
      `GET ${path}k HTTP/1.1`,
      `Host: 127.0.0.1:${PORT}`,
    ]);
  }
});

Deno.test("upstreamRequest(): $proxy_host leaves port 80 out, and names an upstream block", () => {
  const port80 = request(HEAD_SITE, locationOf(HEAD_SITE, "/port80/"), "/port80/a");
  assert.equal(headOf(port80).lines[1], "Host: 127.0.0.1");
  assert.equal(headOf(port80).lines[0], "GET /a HTTP/1.0");
  const named = request(HEAD_SITE, locationOf(HEAD_SITE, "/named/"), "/named/a");
  assert.equal(headOf(named).lines[1], "Host: backend");
  assert.equal(headOf(named).lines[0], "GET /x/a HTTP/1.0");
});

Deno.test("upstreamRequest(): proxy_set_header Host replaces the default: one Host field", () => {
  const headers: [string, string][] = [["host", "Site.Test:8080"]];
  const cases: Array<[string, string]> = [
    ["/host/", "Host: localhost"],
    ["/host-port/", "Host: Site.Test:8080"],
    ["/host-proxy/", `Host: 127.0.0.1:${PORT}:${PORT}`],
  ];
  for (const [path, expected] of cases) {
    const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, path), `${path}x`, { headers });
    const hosts = headOf(ctx).lines.filter((l) => /^host:/i.test(l));
    assert.deepEqual(hosts, [expected], path);
  }
});

Deno.test('upstreamRequest(): proxy_set_header Host "" on HTTP/1.0: no Host field (nginx)', () => {
  const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, "/no-host/"), "/no-host/x", {
    headers: [["host", "site.test"]],
  });
  assert.deepEqual(headOf(ctx).lines, ["GET /no-host/x HTTP/1.0", "Connection: close"]);
});

/*
 * RFC 9112 §3.2: "A client MUST send a Host header field in all HTTP/1.1 request messages." A
 * kept-alive connection always speaks HTTP/1.1 here, so an empty Host must fall back to
 * $proxy_host, as nginx now does for HTTP/1.1 (ngx_http_proxy_create_request since commit
 * dea68dbf1: "if the explicit value is empty, then the value of $proxy_host is used instead").
 */
Deno.test('upstreamRequest(): proxy_set_header Host "" on HTTP/1.1: Host is still sent, $proxy_host (RFC 9112 §3.2)', () => {
  const ctx = request(HEAD_SITE, locationOf(HEAD_SITE, "/no-host/"), "/no-host/x");
  const hosts = headOf(ctx, KEEP).lines.filter((l) => /^host:/i.test(l));
  assert.deepEqual(hosts, [`Host: 127.0.0.1:${PORT}`]);
});

// --- The head: proxy_set_header ----------------------------------------------------------------------

const SET_SITE = site(`
location /order/ {
  proxy_pass ${APP};
  proxy_set_header X-Real-IP $remote_addr;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Literal "a b, c";
}
location /replace/ {
  proxy_pass ${APP};
  proxy_set_header X-First 1;
  proxy_set_header Host h.example;
  proxy_set_header Connection upgrade;
  proxy_set_header X-Last 2;
}
location /empty/ {
  proxy_pass ${APP};
  proxy_set_header X-Empty "";
  proxy_set_header Accept-Language "";
  proxy_set_header X-Missing $http_x_missing;
  proxy_set_header Connection "";
  proxy_set_header X-Kept kept;
}
location /client/ {
  proxy_pass ${APP};
  proxy_set_header user-agent proxy/1;
}
location /unsafe/ {
  proxy_pass ${APP};
  proxy_set_header X-Uri $uri;
  proxy_set_header X-After after;
}
location /length/ {
  proxy_pass ${APP};
  proxy_set_header Content-Length 5;
}
`);

Deno.test("upstreamRequest(): proxy_set_header lines follow the defaults, in the order written", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/order/"), "/order/", {
    headers: [["x-forwarded-for", "10.0.0.1"], ["x-real-ip", "6.6.6.6"]],
  });
  assert.deepEqual(headOf(ctx).lines, [
    "GET /order/ HTTP/1.0",
    `Host: 127.0.0.1:${PORT}`,
    "Connection: close",
    "X-Real-IP: 127.0.0.1",
    "X-Forwarded-For: 10.0.0.1, 127.0.0.1",
    "X-Forwarded-Proto: http",
    "X-Literal: a b, c",
  ]);
});

Deno.test("upstreamRequest(): a proxy_set_header of a default field replaces it: one line, the set value", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/replace/"), "/replace/", {
    headers: [["host", "client.test"], ["connection", "keep-alive"]],
  });
  const lines = headOf(ctx).lines;
  assert.deepEqual(lines.filter((l) => /^host:/i.test(l)), ["Host: h.example"]);
  assert.deepEqual(lines.filter((l) => /^connection:/i.test(l)), ["Connection: upgrade"]);
  // The others keep their order.
  assert.ok(lines.indexOf("X-First: 1") < lines.indexOf("X-Last: 2"));
});

/*
 * The module's comment: "nginx's defaults, each replaced in place by a proxy_set_header of the
 * same name". In place, Host stays the first field (RFC 9110 §7.2: a Host "SHOULD" be the first
 * field line; nginx writes Host first whatever proxy_set_header says, since commit dea68dbf1).
 */
Deno.test("upstreamRequest(): a replaced default keeps its place: Host first, then Connection", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/replace/"), "/replace/");
  assert.deepEqual(headOf(ctx).lines, [
    "GET /replace/ HTTP/1.0",
    "Host: h.example",
    "Connection: upgrade",
    "X-First: 1",
    "X-Last: 2",
  ]);
});

Deno.test("upstreamRequest(): a proxy_set_header whose value is empty sends nothing, nor the client's field", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/empty/"), "/empty/", {
    headers: [
      ["accept-language", "fr"],
      ["x-empty", "from client"],
      ["x-missing", ""],
      ["x-other", "passed"],
    ],
  });
  // Connection "" (nginx's advice for keepalive) drops Connection: close too.
  assert.deepEqual(headOf(ctx).lines, [
    "GET /empty/ HTTP/1.0",
    `Host: 127.0.0.1:${PORT}`,
    "X-Kept: kept",
    "x-other: passed",
  ]);
});

Deno.test("upstreamRequest(): a variable that is empty for this request drops the field; set, it is sent", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/empty/"), "/empty/", {
    headers: [["x-missing", "now here"]],
  });
  assert.ok(headOf(ctx).lines.includes("X-Missing: now here"));
});

Deno.test("upstreamRequest(): the client's fields follow, in order, duplicates kept, but those the proxy replaces", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/client/"), "/client/", {
    method: "PUT",
    headers: [
      ["host", "client.test"],
      ["user-agent", "curl/8"],
      ["accept", "*/*"],
      ["connection", "keep-alive, Upgrade"],
      ["keep-alive", "timeout=5"],
      ["te", "trailers"],
      ["expect", "100-continue"],
      ["upgrade", "h2c"],
      ["content-length", "5"],
      ["transfer-encoding", "chunked"],
      ["x-dup", "1"],
      ["cookie", "a=1"],
      ["x-dup", "2"],
    ],
  });
  assert.deepEqual(headOf(ctx, { keepAlive: false, bodyLength: 5 }).lines, [
    "PUT /client/ HTTP/1.0",
    `Host: 127.0.0.1:${PORT}`,
    "Connection: close",
    "user-agent: proxy/1",
    "Content-Length: 5",
    "accept: */*",
    "x-dup: 1",
    "cookie: a=1",
    "x-dup: 2",
  ]);
});

Deno.test("upstreamRequest(): Content-Length for a body (0 included), none without one", () => {
  const location = locationOf(HEAD_SITE, "/");
  const lengthOf = (bodyLength: number | null) => {
    const ctx = request(HEAD_SITE, location, "/b", {
      headers: [["content-length", "999"], ["transfer-encoding", "chunked"]],
    });
    const lines = headOf(ctx, { keepAlive: true, bodyLength }).lines;
    assert.equal(lines.filter((l) => /^transfer-encoding:/i.test(l)).length, 0);
    return lines.filter((l) => /^content-length:/i.test(l));
  };
  assert.deepEqual(lengthOf(12), ["Content-Length: 12"]);
  assert.deepEqual(lengthOf(0), ["Content-Length: 0"]);
  assert.deepEqual(lengthOf(null), []);
});

/*
 * nginx's Content-Length is a default field like Host ($proxy_internal_body_length): a
 * proxy_set_header Content-Length replaces it. Two Content-Length lines with different values
 * make a request an upstream must reject (RFC 9112 §6.3) or, worse, read differently.
 */
Deno.test("upstreamRequest(): proxy_set_header Content-Length and a body: never two Content-Length lines", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/length/"), "/length/", { method: "POST" });
  const lengths = headOf(ctx, { keepAlive: false, bodyLength: 11 }).lines
    .filter((l) => /^content-length:/i.test(l));
  assert.equal(lengths.length, 1, lengths.join(" | "));
});

Deno.test("upstreamRequest(): a value with CR or LF in it never makes a line of its own", () => {
  const location = locationOf(SET_SITE, "/unsafe/");
  for (const escape of ["%0D%0A", "%0A", "%0D"]) {
    // $uri is the decoded path: "/unsafe/a\r\nX-Injected: 1".
    const ctx = request(SET_SITE, location, `/unsafe/a${escape}X-Injected:%201`);
    assert.ok(ctx.path.includes("\n") || ctx.path.includes("\r"));
    const { text, lines } = headOf(ctx);
    assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(text.slice(0, -4)), JSON.stringify(text));
    assert.ok(!lines.some((l) => /^X-Injected/i.test(l)), JSON.stringify(lines));
    // The field is left out; the others are sent.
    assert.ok(!lines.some((l) => l.startsWith("X-Uri")), JSON.stringify(lines));
    assert.ok(lines.includes("X-After: after"));
    // The request line has it encoded.
    assert.equal(lines[0], `GET /unsafe/a${escape}X-Injected:%201 HTTP/1.0`);
  }
});

Deno.test("upstreamRequest(): a proxy_set_header name replaces the client's field whatever its case", () => {
  const ctx = request(SET_SITE, locationOf(SET_SITE, "/order/"), "/order/", {
    headers: [["x-forwarded-proto", "https"], ["x-literal", "client"]],
  });
  const lines = headOf(ctx).lines;
  assert.deepEqual(lines.filter((l) => /^x-forwarded-proto:/i.test(l)), [
    "X-Forwarded-Proto: http",
  ]);
  assert.deepEqual(lines.filter((l) => /^x-literal:/i.test(l)), ["X-Literal: a b, c"]);
});
