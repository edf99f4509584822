/**
 * The request checks of compression (lib/compression/client.ts) against nginx's
 * ngx_http_gzip_ok (src/http/ngx_http_core_module.c) and its msie6 flag
 * (ngx_http_process_user_agent, src/http/ngx_http_request.c): gzip_http_version, gzip_disable
 * (msie6 and expressions), gzip_proxied with every value and the response headers each one
 * looks at, and the coding the request prefers. Configs are parsed from directives, as in a file.
 */
import assert from "node:assert/strict";
import { compressionAllowed, preferredCoding } from "../../../lib/compression/client.ts";
import type { OfferedCoding } from "../../../lib/compression/negotiate.ts";
import { parseConfig } from "../../../lib/config/load.ts";
import type { LocationConfig } from "../../../lib/config/types.ts";
import type { Response } from "../../../lib/http/response.ts";
import { testHead } from "../_fixtures.ts";

/** The `location /` of a server whose location holds `directives`. */
function location(directives: string): LocationConfig {
  const text = `http { server { listen 127.0.0.1:0; location / { ${directives} } } }`;
  const config = parseConfig(text, "/nonexistent/client_test.conf");
  const found = config.servers[0]!.locations.find((l) => l.path === "/");
  assert.ok(found !== undefined);
  return found;
}

/** A GET with these headers (names as the parser gives them: lower case). */
function head(headers: [string, string][], minor = 1) {
  return testHead({ headers: [["host", "localhost"], ...headers], minor });
}

/** A 200 of text/html with `headers` besides its type. */
function response(headers: [string, string][] = []): Response {
  return { status: 200, headers: [["Content-Type", "text/html"], ...headers], body: null };
}

/** A static file's headers as the file cache gives them. */
const FILE: [string, string][] = [
  ["Content-Length", "2109"],
  ["Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"],
  ["ETag", '"5f-83d"'],
  ["Accept-Ranges", "bytes"],
];

Deno.test("gzip_http_version: HTTP/1.0 is compressed only under 1.0", () => {
  const table: [string, string, number, boolean][] = [
    ["default (1.1), HTTP/1.1", "", 1, true],
    ["default (1.1), HTTP/1.0", "", 0, false],
    ["1.1, HTTP/1.0", "gzip_http_version 1.1;", 0, false],
    ["1.0, HTTP/1.0", "gzip_http_version 1.0;", 0, true],
    ["1.0, HTTP/1.1", "gzip_http_version 1.0;", 1, true],
  ];
  for (const [name, directives, minor, allowed] of table) {
    const h = head([["accept-encoding", "gzip"]], minor);
    assert.equal(compressionAllowed(h, location(directives), response()), allowed, name);
    assert.equal(compressionAllowed(h, location(directives), null), allowed, `${name}, static`);
  }
});

/** [User-Agent, whether nginx's msie6 rule disables compression for it] */
const MSIE6_AGREED: [string, boolean][] = [
  ["Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true],
  ["Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", false],
  ["Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)", true],
  ["Mozilla/4.0 (compatible; MSIE 5.01; Windows NT 5.0)", true],
  ["Mozilla/4.0 (compatible; MSIE 4.01; Windows 95)", true],
  ["Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)", false],
  ["Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2)", false],
  ["Mozilla/4.0 (compatible; MSIE 3.02; Windows 95)", false],
  // Any character after "6.": nginx reads msie[5] and msie[6] only.
  ["Mozilla/4.0 (compatible; MSIE 6.x)", true],
  // SV1 before "MSIE " does not count: nginx looks after "MSIE 6.0".
  ["SV1 Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true],
  // Exactly eight characters from "MSIE " to the end are enough (msie + 7 < end).
  ["x MSIE 6.0", true],
  // ngx_strstrn is case-sensitive.
  ["Mozilla/4.0 (compatible; msie 6.0; Windows NT 5.1)", false],
  ["Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0", false],
  ["", false],
];

/** The same rule where webserv's isMsie6 differs from nginx's code (see the report). */
const MSIE6_NGINX: [string, boolean][] = [
  // SV1 exempts MSIE 6 only: nginx's `case '4': case '5':` sets msie6 without looking for it.
  ["Mozilla/4.0 (compatible; MSIE 5.5; Windows 98; SV1)", true],
  ["Mozilla/4.0 (compatible; MSIE 4.01; Windows 95; SV1)", true],
  // "Opera" anywhere clears msie6 (Opera 8 said "MSIE 6.0" in its User-Agent).
  ["Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1) Opera 8.50", false],
  ["Opera/9.0 (compatible; MSIE 5.5)", false],
  // Fewer than eight characters from "MSIE ": not MSIE at all for nginx (msie + 7 < end fails).
  ["x MSIE 6.", false],
  ["x MSIE 5.", false],
];

function disabledFor(agent: string, directives = "gzip_disable msie6;"): boolean {
  const h = head([["accept-encoding", "gzip"], ["user-agent", agent]]);
  return !compressionAllowed(h, location(directives), response());
}

Deno.test("gzip_disable msie6: MSIE 4 to 6 but 6 with SV1, as nginx reads them", () => {
  for (const [agent, disabled] of MSIE6_AGREED) {
    assert.equal(disabledFor(agent), disabled, agent);
    // Without gzip_disable msie6 nothing is disabled.
    assert.equal(disabledFor(agent, ""), false, `${agent} without msie6`);
  }
  // The first User-Agent line counts, as nginx's headers_in.user_agent.
  const two = head([
    ["accept-encoding", "gzip"],
    ["user-agent", "Mozilla/5.0"],
    ["user-agent", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"],
  ]);
  assert.equal(compressionAllowed(two, location("gzip_disable msie6;"), response()), true);
});

Deno.test("gzip_disable msie6: SV1 only for MSIE 6, Opera, eight characters (nginx's code)", () => {
  const wrong = MSIE6_NGINX.filter(([agent, disabled]) => disabledFor(agent) !== disabled);
  assert.deepEqual(wrong, [], "User-Agents webserv's msie6 rule answers unlike nginx's");
});

Deno.test("gzip_disable with expressions: case-insensitive, any of them", () => {
  const directives = 'gzip_disable "badbot" "^curl/7\\." msie6;';
  const table: [string, boolean][] = [
    ["BadBot/1.0", true],
    ["my BADBOT", true],
    ["curl/7.88.1", true],
    ["curl/8.0", false],
    ["Mozilla/5.0", false],
    ["Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true],
  ];
  for (const [agent, disabled] of table) assert.equal(disabledFor(agent, directives), disabled);
  // An empty User-Agent is a User-Agent: an expression matching "" disables it, as in nginx.
  assert.equal(disabledFor("", 'gzip_disable "^$";'), true);
});

Deno.test("gzip_disable with an expression: no User-Agent is never disabled (nginx)", () => {
  // ngx_http_gzip_ok runs the expressions only `if (clcf->gzip_disable &&
  // r->headers_in.user_agent)`: without the header, "^$" or ".*" match nothing.
  for (const regex of ["^$", ".*", "^(?!Mozilla)"]) {
    const h = head([["accept-encoding", "gzip"]]);
    assert.equal(
      compressionAllowed(h, location(`gzip_disable "${regex}";`), response()),
      true,
      `gzip_disable "${regex}" without a User-Agent`,
    );
  }
});

/** A date `seconds` from now, as an HTTP date. */
function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toUTCString();
}

interface ProxiedRow {
  proxied: string;
  /** The request has Authorization. */
  auth?: boolean;
  /** The response's headers besides Content-Type; null: a twin of gzip_static (no response). */
  headers: [string, string][] | null;
  /** What ngx_http_gzip_ok says for a request with Via. */
  allowed: boolean;
  why: string;
}

const PAST = inSeconds(-3600);
const FUTURE = inSeconds(3600);

/**
 * gzip_proxied as ngx_http_gzip_ok applies it to a request with Via: off refuses, any allows;
 * then auth allows when the request has Authorization; then an Expires decides alone (allowed
 * only with `expired` and a date before the response's Date, or now); else a Cache-Control
 * decides alone (allowed only when no-cache, no-store or private is both named and found); else
 * no_last_modified refuses a Last-Modified and no_etag an ETag; whatever is left is allowed.
 */
const PROXIED_AGREED: ProxiedRow[] = [
  { proxied: "off", headers: FILE, allowed: false, why: "off" },
  { proxied: "off", auth: true, headers: [], allowed: false, why: "off, whatever else" },
  { proxied: "any", headers: FILE, allowed: true, why: "any" },
  {
    proxied: "any",
    headers: [["Expires", FUTURE], ["Cache-Control", "max-age=3600"]],
    allowed: true,
    why: "any, cacheable",
  },
  { proxied: "expired", headers: [["Expires", PAST]], allowed: true, why: "expired, past" },
  {
    proxied: "expired",
    headers: [["Expires", PAST], ["Date", inSeconds(0)]],
    allowed: true,
    why: "expired, before Date",
  },
  {
    proxied: "no-cache",
    headers: [["Cache-Control", "no-cache"]],
    allowed: true,
    why: "no-cache found",
  },
  {
    proxied: "no-cache",
    headers: [["Cache-Control", "public, no-cache"]],
    allowed: true,
    why: "no-cache in a list",
  },
  {
    proxied: "no-cache",
    headers: [["Cache-Control", "public"]],
    allowed: false,
    why: "Cache-Control without no-cache",
  },
  {
    proxied: "no-store",
    headers: [["Cache-Control", "no-store"]],
    allowed: true,
    why: "no-store found",
  },
  {
    proxied: "no-store",
    headers: [["Cache-Control", "no-cache"]],
    allowed: false,
    why: "no-store named, no-cache found",
  },
  { proxied: "private", headers: [["Cache-Control", "private"]], allowed: true, why: "private" },
  {
    proxied: "private",
    headers: [["Cache-Control", "max-age=0"]],
    allowed: false,
    why: "private named, not found",
  },
  {
    proxied: "no_last_modified",
    headers: [["Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"]],
    allowed: false,
    why: "no_last_modified, Last-Modified",
  },
  { proxied: "no_last_modified", headers: [], allowed: true, why: "no_last_modified, none" },
  { proxied: "no_etag", headers: FILE, allowed: false, why: "no_etag, ETag" },
  { proxied: "no_etag", headers: [], allowed: true, why: "no_etag, none" },
  { proxied: "auth", auth: true, headers: FILE, allowed: true, why: "auth, Authorization" },
  {
    proxied: "auth",
    auth: true,
    headers: [["Expires", FUTURE]],
    allowed: true,
    why: "auth comes before Expires",
  },
  {
    proxied: "expired no-cache no-store private auth",
    headers: [["Cache-Control", "max-age=60"]],
    allowed: false,
    why: "the usual line, a cacheable answer",
  },
  {
    proxied: "expired no-cache no-store private auth",
    headers: [["Cache-Control", "private"]],
    allowed: true,
    why: "the usual line, private",
  },
  { proxied: "any", headers: null, allowed: true, why: "any, a twin" },
  { proxied: "off", headers: null, allowed: false, why: "off, a twin" },
  { proxied: "no_etag", headers: null, allowed: true, why: "no_etag, a twin (no headers yet)" },
];

/** The rows where webserv's proxiedAllowed ("any named condition holds") differs from nginx's. */
const PROXIED_NGINX: ProxiedRow[] = [
  // Nothing says "cacheable": nginx's ngx_http_gzip_ok falls through to `ok`.
  { proxied: "expired", headers: FILE, allowed: true, why: "expired, no Expires" },
  { proxied: "no-cache", headers: FILE, allowed: true, why: "no-cache, no Cache-Control" },
  { proxied: "auth", headers: FILE, allowed: true, why: "auth, no Authorization" },
  {
    proxied: "expired no-cache no-store private auth",
    headers: FILE,
    allowed: true,
    why: "the usual line, a static file",
  },
  // An Expires decides alone: allowed only when named and already past.
  { proxied: "expired", headers: [["Expires", FUTURE]], allowed: false, why: "expired, future" },
  { proxied: "expired", headers: [["Expires", "0"]], allowed: false, why: "expired, unparsable" },
  {
    proxied: "expired",
    headers: [["Expires", PAST], ["Date", inSeconds(-7200)]],
    allowed: false,
    why: "expired, after Date",
  },
  {
    proxied: "no_etag",
    headers: [["Expires", PAST]],
    allowed: false,
    why: "no_etag, no ETag, but an Expires",
  },
  {
    proxied: "no-cache",
    headers: [["Expires", PAST], ["Cache-Control", "no-cache"]],
    allowed: false,
    why: "no-cache found, but an Expires without expired",
  },
  // A Cache-Control decides alone too.
  {
    proxied: "no_etag",
    headers: [["Cache-Control", "public"]],
    allowed: false,
    why: "no_etag, no ETag, but a Cache-Control",
  },
  // A twin of gzip_static: ngx_http_gzip_ok runs before any response header exists.
  { proxied: "expired", headers: null, allowed: true, why: "expired, a twin" },
  { proxied: "auth", headers: null, allowed: true, why: "auth, a twin, no Authorization" },
  { proxied: "no-cache", headers: null, allowed: true, why: "no-cache, a twin" },
];

function proxiedAnswer(row: ProxiedRow, via = true): boolean {
  const headers: [string, string][] = [["accept-encoding", "gzip"]];
  if (via) headers.push(["via", "1.1 cache.example"]);
  if (row.auth) headers.push(["authorization", "Basic YTpi"]);
  const res = row.headers === null ? null : response(row.headers);
  return compressionAllowed(head(headers), location(`gzip_proxied ${row.proxied};`), res);
}

Deno.test("gzip_proxied: each value with the headers it looks at", () => {
  for (const row of PROXIED_AGREED) {
    assert.equal(proxiedAnswer(row), row.allowed, `${row.proxied}: ${row.why}`);
  }
  // Without Via, gzip_proxied does not apply.
  for (const row of [...PROXIED_AGREED, ...PROXIED_NGINX]) {
    assert.equal(proxiedAnswer(row, false), true, `${row.proxied}: ${row.why}, no Via`);
  }
  // An empty Via is a Via.
  const empty = head([["accept-encoding", "gzip"], ["via", ""]]);
  assert.equal(compressionAllowed(empty, location("gzip_proxied off;"), response()), false);
});

Deno.test("gzip_proxied: nginx's order (auth, Expires, Cache-Control, validators, else allowed)", () => {
  const wrong = PROXIED_NGINX.filter((row) => proxiedAnswer(row) !== row.allowed)
    .map((row) => `${row.proxied}: ${row.why} (nginx ${row.allowed ? "compresses" : "does not"})`);
  assert.deepEqual(wrong, [], "requests with Via that webserv answers unlike ngx_http_gzip_ok");
});

Deno.test("preferredCoding: the request's Accept-Encoding lines, best first", () => {
  const BOTH: readonly OfferedCoding[] = ["br", "gzip"];
  const table: [string, string[], readonly OfferedCoding[], OfferedCoding | null][] = [
    ["none", [], BOTH, null],
    ["gzip", ["gzip"], BOTH, "gzip"],
    ["br wins a tie", ["gzip, br"], BOTH, "br"],
    ["the weights decide", ["br;q=0.5, gzip"], BOTH, "gzip"],
    ["gzip;q=0", ["gzip;q=0"], BOTH, null],
    ["upper case", ["GZIP"], BOTH, "gzip"],
    ["x-gzip is not gzip (as nginx)", ["x-gzip"], BOTH, null],
    ["only what is offered", ["br"], ["gzip"], null],
    ["lines joined", ["deflate", "gzip"], BOTH, "gzip"],
    ["the first entry of a coding counts", ["gzip;q=0", "gzip"], BOTH, null],
  ];
  for (const [name, lines, offered, expected] of table) {
    const h = head(lines.map((v) => ["accept-encoding", v]));
    assert.equal(preferredCoding(h, offered), expected, name);
  }
});
