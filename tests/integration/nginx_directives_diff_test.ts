/**
 * Differential test of the nginx directives webserv implements (locations and their order,
 * captures, return, rewrite, try_files, error_page, add_header, expires, etag, if_modified_since,
 * server_tokens, allow/deny, satisfy, auth_basic, limit_req, limit_conn, types, default_type,
 * charset): the same raw requests against webserv and nginx, over one site with equivalent configs
 * (tests/testdata/diff_directives/). Every answer must agree on the status and the headers that
 * matter, except the KNOWN differences, which must still differ so the table stays honest. The
 * sibling of nginx_diff_test.ts, whose approach it follows. DIFF_VERBOSE=1 prints what was
 * compared for every request.
 *
 * nginx listens on TCP here, not on a Unix socket: allow/deny and the limit zones key on the
 * client's address, which on a Unix socket is no IP. nginx cannot listen on port 0 ("invalid
 * port"), and a port picked in advance (or bound, closed and reused) could be taken by another
 * process in between. So a small launcher (_nginx.ts) binds 127.0.0.1:0 (the kernel chooses the port), keeps
 * the socket open and execs nginx with it inherited through the `NGINX` environment variable
 * (nginx's own mechanism for its binary upgrade); nginx's `listen` names that port, and nginx
 * takes the inherited socket instead of binding one. The port is never free in between, and the
 * test learns it from the launcher. Clients connect from 127.0.0.1 or 127.0.0.2 (node:net with
 * `localAddress`), to both servers alike.
 */
import { differences, type Nginx, NGINX_MISSING, startNginx as startNginxFrom } from "./_nginx.ts";
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { type RunningServer, startServer } from "../../lib/server/listener.ts";

const DATA = join(import.meta.dirname ?? ".", "..", "testdata", "diff_directives");
const ROOT = join(DATA, "site");
const DEADLINE_MS = 5000;

/** A file's validators as one server gives them, for conditional requests. */
interface Validators {
  etag: string;
  lastModified: string;
}

/** The validators of a path on the server the request goes to (fetched once per path). */
type Lookup = (path: string) => Promise<Validators>;

/** One request on a connection of its own. */
interface Single {
  /** Unique; also the key of KNOWN. */
  name: string;
  request: string | ((v: Lookup) => Promise<string>);
  /** The request is a HEAD: no body follows the response head. */
  head?: boolean;
  /** The client's address (default 127.0.0.1). */
  from?: string;
  /** The body is the server's own page (not a file, not a `return` text): not compared. */
  generated?: boolean;
  /** Compare the body although the status is an error (the page is a file of the site). */
  sameBody?: boolean;
}

/** The same GET several times: the statuses are compared as a list. */
interface Sequence {
  name: string;
  path: string;
  count: number;
  /**
   * "in a row": each sent once the previous one is answered; "at once": all together, their
   * statuses compared sorted (the servers may take them in any order); a number: each sent that
   * many milliseconds after the previous one without waiting for its answer.
   */
  mode: "in a row" | "at once" | number;
}

type Case = Single | Sequence;

/** RFC 9110 §13.1.3: If-None-Match decides alone; nginx wants If-Modified-Since to pass too. */
const NONE_MATCH_FIRST =
  "RFC 9110 §13.1.3: a recipient MUST ignore If-Modified-Since when the request has " +
  "If-None-Match, so the matching tag gives webserv's 304; nginx also tests If-Modified-Since " +
  "(which fails, or which if_modified_since off treats as failing) and answers 200";

/**
 * Requests whose answers differ, with the reason: each a deliberate or acceptable difference
 * (webserv bugs are not listed: the test fails on them). Each must still differ: when one starts
 * to agree, delete its line.
 */
const KNOWN: Record<string, string> = {
  "exact: matching If-None-Match, old If-Modified-Since": NONE_MATCH_FIRST,
  "off: matching If-None-Match and If-Modified-Since": NONE_MATCH_FIRST,
  "auth_basic: realm with quotes":
    "webserv sends the realm as a quoted-string (RFC 9110 §5.6.4, §11.2), escaping its quotes; " +
    "nginx copies it between quotes as it is, which makes a malformed challenge",
};

/** A request line plus Host and Connection: close, then `headers`. */
function req(method: string, target: string, headers: string[] = []): string {
  return [
    `${method} ${target} HTTP/1.1`,
    "Host: localhost",
    "Connection: close",
    ...headers,
    "",
    "",
  ].join("\r\n");
}

const get = (target: string, headers: string[] = []) => req("GET", target, headers);

/** An Authorization header for Basic credentials. */
const basic = (credentials: string) => `Authorization: Basic ${btoa(credentials)}`;

/** An HTTP date `days` away from `date`. */
function shift(date: string, days: number): string {
  return new Date(Date.parse(date) + days * 86_400_000).toUTCString();
}

/** A GET of `path` with headers made from its validators. */
function conditional(path: string, headers: (v: Validators) => string[]) {
  return async (lookup: Lookup) => get(path, headers(await lookup(path)));
}

const CASES: Case[] = [
  // Location order: exact first, then the longest prefix, whose ^~ stops the regexes, else the
  // first regex in the order of the file.
  { name: "GET / (location = /)", request: get("/") },
  { name: "GET /index.html (location /)", request: get("/index.html") },
  { name: "GET /match (exact over prefix)", request: get("/match") },
  { name: "GET /match?x=1 (exact with arguments)", request: get("/match?x=1") },
  { name: "GET /match/ (prefix)", request: get("/match/") },
  { name: "GET /matchbox (prefix is a string prefix)", request: get("/matchbox") },
  { name: "GET /match/longer/x (longest prefix)", request: get("/match/longer/x") },
  { name: "GET /match/longer/x.php (regex over prefix)", request: get("/match/longer/x.php") },
  { name: "GET /match/stop/x.php (^~ stops regexes)", request: get("/match/stop/x.php") },
  { name: "GET /match/a.php (first regex in file order)", request: get("/match/a.php") },
  { name: "GET /match/a.txt (second regex, capture)", request: get("/match/a.txt") },
  { name: "GET /photo.JPG (~* case-insensitive)", request: get("/photo.JPG") },
  { name: "GET /photo.jpeg (~*)", request: get("/photo.jpeg") },
  { name: "GET /MATCH/a.txt (~ is case-sensitive)", request: get("/MATCH/a.txt") },
  { name: "GET /nest/file.txt (outer prefix)", request: get("/nest/file.txt") },
  { name: "GET /nest/inner/x (nested prefix)", request: get("/nest/inner/x") },
  { name: "GET /nest/a.gif (nested regex)", request: get("/nest/a.gif") },
  {
    name: "GET /nest/inner/b.gif (nested regex over nested prefix)",
    request: get("/nest/inner/b.gif"),
  },
  { name: "GET /nest/c.jpg (top-level regex over prefix)", request: get("/nest/c.jpg") },
  { name: "GET /re/abc/x.html (outer regex)", request: get("/re/abc/x.html") },
  { name: "GET /re/abc/x.txt (regex nested in a regex)", request: get("/re/abc/x.txt") },
  { name: "GET /@named (named locations are not matched)", request: get("/@named") },
  // return with variables and captures.
  { name: "GET /ret/alice/42?k=v (captures)", request: get("/ret/alice/42?k=v") },
  { name: "HEAD /ret/alice/42", request: req("HEAD", "/ret/alice/42"), head: true },
  { name: "GET /ret/a%20b/7 (capture of a decoded path)", request: get("/ret/a%20b/7") },
  { name: "GET /cap9/abcdefghi ($1 to $9)", request: get("/cap9/abcdefghi") },
  { name: "GET /ret/redirect?x=5 (return 301 with $arg_x)", request: get("/ret/redirect?x=5") },
  { name: "GET /ret/found (return 302 with $uri)", request: get("/ret/found") },
  { name: "GET /ret/404 (return 404: error_page)", request: get("/ret/404") },
  { name: "GET /ret/404-text (return 404 with text)", request: get("/ret/404-text") },
  { name: "GET /ret/204 (return 204)", request: get("/ret/204") },
  { name: "GET /ret/rw/zed (rewrite without groups)", request: get("/ret/rw/zed") },
  // rewrite.
  { name: "GET /srv-rw/x?y=1 (server rewrite last)", request: get("/srv-rw/x?y=1") },
  { name: "GET /rw/last/x?q=1 (last, arguments kept)", request: get("/rw/last/x?q=1") },
  { name: "GET /rw/break/x.txt (break: a file)", request: get("/rw/break/x.txt") },
  { name: "GET /rw/break/missing (break: 404)", request: get("/rw/break/missing") },
  { name: "GET /rw/redirect/x?q=1 (redirect)", request: get("/rw/redirect/x?q=1") },
  { name: "GET /rw/permanent/x (permanent)", request: get("/rw/permanent/x") },
  { name: "GET /rw/args/v?orig=1 (arguments appended)", request: get("/rw/args/v?orig=1") },
  { name: "GET /rw/args/v (arguments of the replacement)", request: get("/rw/args/v") },
  { name: "GET /rw/drop/v?orig=1 (trailing ? drops them)", request: get("/rw/drop/v?orig=1") },
  { name: "GET /rw/abs?z=1 (absolute URL: 302)", request: get("/rw/abs?z=1") },
  { name: "GET /rw/loop/x (rewrite cycle)", request: get("/rw/loop/x") },
  { name: "GET /rw/next/x?q=1 (no flag, then return)", request: get("/rw/next/x?q=1") },
  { name: "GET /rw/other (no rewrite matches)", request: get("/rw/other") },
  { name: "GET /chain/a/x (no flag, chained)", request: get("/chain/a/x") },
  { name: "GET /rw/redirect/a%20b (space in a redirect)", request: get("/rw/redirect/a%20b") },
  {
    name: "GET /rw/redirect/%0d%0a... (CRLF in a redirect)",
    request: get("/rw/redirect/%0d%0aX-Injected:%20yes"),
  },
  {
    name: "GET /rw/redirect/%C3%A9 (non-ASCII in a redirect)",
    request: get("/rw/redirect/%C3%A9"),
  },
  // try_files.
  { name: "GET /tf/a.txt (try_files $uri)", request: get("/tf/a.txt") },
  { name: "GET /tf/dir (try_files $uri/, index)", request: get("/tf/dir") },
  { name: "GET /tf/dir/ (try_files $uri/)", request: get("/tf/dir/") },
  { name: "GET /tf/sub/ (directory without index)", request: get("/tf/sub/"), generated: true },
  { name: "GET /tf/missing (URI fallback)", request: get("/tf/missing") },
  { name: "GET /tf-args/x?k=v (fallback keeps arguments)", request: get("/tf-args/x?k=v") },
  { name: "GET /tf-newargs/x?k=v (fallback's own arguments)", request: get("/tf-newargs/x?k=v") },
  { name: "GET /tf404/x (=404)", request: get("/tf404/x") },
  { name: "GET /tf410/x (=410)", request: get("/tf410/x") },
  { name: "GET /tfnamed/x?k=1 (@named)", request: get("/tfnamed/x?k=1") },
  { name: "GET /tfcap/a.txt (try_files with $1)", request: get("/tfcap/a.txt") },
  { name: "GET /tfcap/nope (try_files with $1, =404)", request: get("/tfcap/nope") },
  // error_page.
  { name: "GET /ep200/missing (error_page =200)", request: get("/ep200/missing") },
  { name: "GET /epown/missing (error_page =)", request: get("/epown/missing") },
  { name: "GET /epnamed/missing (error_page @named)", request: get("/epnamed/missing") },
  { name: "GET /epabs/missing (error_page URL)", request: get("/epabs/missing") },
  {
    name: "GET /epcode/missing (error_page =410)",
    request: get("/epcode/missing"),
    sameBody: true,
  },
  { name: "GET /epreturn/ (return 418, error_page = @named)", request: get("/epreturn/") },
  // add_header.
  { name: "GET /a.txt (server add_header)", request: get("/a.txt") },
  {
    name: "GET /a.txt 304 (server add_header)",
    request: conditional("/a.txt", (v) => [`If-None-Match: ${v.etag}`]),
  },
  { name: "GET /missing (404: no add_header)", request: get("/missing") },
  { name: "GET /hdr/a.txt (location add_header)", request: get("/hdr/a.txt") },
  {
    name: "GET /hdr/missing (404: only always)",
    request: get("/hdr/missing"),
    generated: true,
  },
  { name: "GET /hdr/moved (301 add_header)", request: get("/hdr/moved") },
  {
    name: "GET /hdr/a.txt 304 (add_header)",
    request: conditional("/hdr/a.txt", (v) => [`If-None-Match: ${v.etag}`]),
  },
  { name: "GET /hdr (directory redirect)", request: get("/hdr") },
  { name: "GET /hdr-ep/missing (404 page elsewhere)", request: get("/hdr-ep/missing") },
  { name: "GET /nest/inner/x (inherited add_header)", request: get("/nest/inner/x?h") },
  // expires.
  { name: "GET /exp/a.txt (expires 1h)", request: get("/exp/a.txt") },
  { name: "GET /exp/30d/a.txt (expires 30d)", request: get("/exp/30d/a.txt") },
  { name: "GET /exp/epoch/a.txt (expires epoch)", request: get("/exp/epoch/a.txt") },
  { name: "GET /exp/max/a.txt (expires max)", request: get("/exp/max/a.txt") },
  { name: "GET /exp/neg/a.txt (expires -1)", request: get("/exp/neg/a.txt") },
  { name: "GET /exp/off/a.txt (expires off)", request: get("/exp/off/a.txt") },
  { name: "GET /exp/missing (404: no expires)", request: get("/exp/missing") },
  {
    name: "GET /exp/a.txt 304 (expires)",
    request: conditional("/exp/a.txt", (v) => [`If-Modified-Since: ${v.lastModified}`]),
  },
  { name: "GET /exp-return (expires on return)", request: get("/exp-return") },
  // etag off.
  { name: "GET /noetag/a.txt (etag off)", request: get("/noetag/a.txt") },
  {
    name: "GET /noetag/a.txt If-None-Match: *",
    request: get("/noetag/a.txt", ["If-None-Match: *"]),
  },
  {
    name: 'GET /noetag/a.txt If-None-Match: "x"',
    request: get("/noetag/a.txt", ['If-None-Match: "x"']),
  },
  {
    name: "GET /noetag/a.txt If-Modified-Since",
    request: conditional("/noetag/a.txt", (v) => [`If-Modified-Since: ${v.lastModified}`]),
  },
  // if_modified_since.
  {
    name: "exact: If-Modified-Since = Last-Modified",
    request: conditional("/ims-exact/a.txt", (v) => [`If-Modified-Since: ${v.lastModified}`]),
  },
  {
    name: "exact: If-Modified-Since a day later",
    request: conditional("/ims-exact/a.txt", (v) => [
      `If-Modified-Since: ${shift(v.lastModified, 1)}`,
    ]),
  },
  {
    name: "exact: matching If-None-Match, old If-Modified-Since",
    request: conditional("/ims-exact/a.txt", (v) => [
      `If-None-Match: ${v.etag}`,
      "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT",
    ]),
  },
  {
    name: "before: If-Modified-Since = Last-Modified",
    request: conditional("/ims-before/a.txt", (v) => [`If-Modified-Since: ${v.lastModified}`]),
  },
  {
    name: "before: If-Modified-Since a day later",
    request: conditional("/ims-before/a.txt", (v) => [
      `If-Modified-Since: ${shift(v.lastModified, 1)}`,
    ]),
  },
  {
    name: "before: If-Modified-Since a day earlier",
    request: conditional("/ims-before/a.txt", (v) => [
      `If-Modified-Since: ${shift(v.lastModified, -1)}`,
    ]),
  },
  {
    name: "off: If-Modified-Since = Last-Modified",
    request: conditional("/ims-off/a.txt", (v) => [`If-Modified-Since: ${v.lastModified}`]),
  },
  {
    name: "off: matching If-None-Match",
    request: conditional("/ims-off/a.txt", (v) => [`If-None-Match: ${v.etag}`]),
  },
  {
    name: "off: matching If-None-Match and If-Modified-Since",
    request: conditional("/ims-off/a.txt", (v) => [
      `If-None-Match: ${v.etag}`,
      `If-Modified-Since: ${v.lastModified}`,
    ]),
  },
  // server_tokens.
  { name: "GET /tokens-on/a.txt (server_tokens on)", request: get("/tokens-on/a.txt") },
  // allow and deny.
  { name: "allow 127.0.0.1: from 127.0.0.1", request: get("/local/a.txt") },
  { name: "allow 127.0.0.1: from 127.0.0.2", request: get("/local/a.txt"), from: "127.0.0.2" },
  { name: "deny 127.0.0.2: from 127.0.0.1", request: get("/not-two/a.txt") },
  { name: "deny 127.0.0.2: from 127.0.0.2", request: get("/not-two/a.txt"), from: "127.0.0.2" },
  { name: "allow 127.0.0.0/31: from 127.0.0.1", request: get("/cidr/a.txt") },
  { name: "allow 127.0.0.0/31: from 127.0.0.2", request: get("/cidr/a.txt"), from: "127.0.0.2" },
  // satisfy.
  { name: "satisfy any: allowed address", request: get("/either/a.txt") },
  { name: "satisfy any: other address", request: get("/either/a.txt"), from: "127.0.0.2" },
  {
    name: "satisfy any: other address, password",
    request: get("/either/a.txt", [basic("alice:wonder land")]),
    from: "127.0.0.2",
  },
  {
    name: "satisfy any: other address, wrong password",
    request: get("/either/a.txt", [basic("alice:wonder")]),
    from: "127.0.0.2",
  },
  { name: "satisfy all: allowed address, no password", request: get("/both/a.txt") },
  {
    name: "satisfy all: allowed address, password",
    request: get("/both/a.txt", [basic("alice:wonder land")]),
  },
  {
    name: "satisfy all: other address, password",
    request: get("/both/a.txt", [basic("alice:wonder land")]),
    from: "127.0.0.2",
  },
  // auth_basic. tests/testdata/diff_directives/htpasswd was made with
  // `htpasswd -nbB alice 'wonder land'` and `htpasswd -nbB carol 'pa:ss'` (bcrypt).
  { name: "auth_basic: no credentials", request: get("/private/a.txt") },
  {
    name: "auth_basic: wrong password",
    request: get("/private/a.txt", [basic("alice:wonderland")]),
  },
  { name: "auth_basic: unknown user", request: get("/private/a.txt", [basic("bob:wonder land")]) },
  {
    name: "auth_basic: right password",
    request: get("/private/a.txt", [basic("alice:wonder land")]),
  },
  {
    name: "auth_basic: colon in the password",
    request: get("/private/a.txt", [basic("carol:pa:ss")]),
  },
  {
    name: "auth_basic: malformed credentials",
    request: get("/private/a.txt", ["Authorization: Basic !!!"]),
  },
  {
    name: "auth_basic: another scheme",
    request: get("/private/a.txt", ["Authorization: Bearer abc"]),
  },
  { name: "GET /private (directory redirect)", request: get("/private") },
  { name: "auth_basic off in a nested location", request: get("/private/public/a.txt") },
  { name: "auth_basic: realm with quotes", request: get("/quoted/a.txt") },
  // limit_req and limit_conn: each location has zones of its own, fresh in each test server.
  {
    name: "limit_req burst=2 nodelay, 5 in a row",
    path: "/lr-nodelay/a.txt",
    count: 5,
    mode: "in a row",
  },
  { name: "limit_req no burst, 3 in a row", path: "/lr-noburst/a.txt", count: 3, mode: "in a row" },
  {
    name: "limit_req no burst, then another address",
    request: get("/lr-noburst/a.txt"),
    from: "127.0.0.2",
  },
  {
    name: "limit_req_status 429, 3 in a row",
    path: "/lr-status/a.txt",
    count: 3,
    mode: "in a row",
  },
  { name: "limit_req_dry_run on, 3 in a row", path: "/lr-dry/a.txt", count: 3, mode: "in a row" },
  {
    name: "limit_req burst=2 (delays), 4 at once",
    path: "/lr-delay/a.txt",
    count: 4,
    mode: "at once",
  },
  {
    name: "limit_req burst=3 delay=1, 5 at once",
    path: "/lr-delay1/a.txt",
    count: 5,
    mode: "at once",
  },
  // The first passes at once; the second waits a second in @lc_slow's limit_req (1r/s) while it
  // holds /lc/'s limit_conn; the third comes meanwhile: 200, 200, 503 in the order sent.
  { name: "limit_conn 1, 3 every 300 ms", path: "/lc/a.txt", count: 3, mode: 300 },
  // The same in one location: nginx runs limit_req before limit_conn, so a request waiting out
  // its delay holds no connection slot yet, and all three pass.
  {
    name: "limit_conn and limit_req in one location, 3 every 300 ms",
    path: "/lc-order/a.txt",
    count: 3,
    mode: 300,
  },
  // Content types: types, default_type, charset, charset_types.
  { name: "GET /types/noext (default_type)", request: get("/types/noext") },
  { name: "GET /types/file.weird (default_type)", request: get("/types/file.weird") },
  { name: "GET /types/LOGO.PNG (upper-case extension)", request: get("/types/LOGO.PNG") },
  { name: "GET /types/style.css (charset on text/css)", request: get("/types/style.css") },
  { name: "GET /types/data.json (not in charset_types)", request: get("/types/data.json") },
  { name: "GET /json/data.json (charset_types json)", request: get("/json/data.json") },
  { name: "GET /charset-types/page.html (text/html)", request: get("/charset-types/page.html") },
  { name: "GET /charset-types/style.css", request: get("/charset-types/style.css") },
  { name: "GET /charset-off/a.txt (charset off)", request: get("/charset-off/a.txt") },
  { name: "GET /charset-koi/a.txt (charset koi8-r)", request: get("/charset-koi/a.txt") },
  { name: "GET /types-local/a.md (types in a location)", request: get("/types-local/a.md") },
  { name: "GET /types-local/a.txt (not in its types)", request: get("/types-local/a.txt") },
  { name: "GET /fallback.html (text/html)", request: get("/fallback.html") },
];

/** A response, or why there was none ("no response", "timeout", a socket error). */
type Outcome = RawResponse | { error: string };

interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  text: string;
}

const decoder = new TextDecoder();

function indexOf(bytes: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CRLF = [13, 10];

/** Decodes a chunked body, or null when it is cut short or malformed. */
function dechunk(bytes: Uint8Array): Uint8Array | null {
  const parts: Uint8Array[] = [];
  for (let at = 0;;) {
    const end = indexOf(bytes, CRLF, at);
    if (end < 0) return null;
    const size = parseInt(decoder.decode(bytes.subarray(at, end)), 16);
    if (Number.isNaN(size) || end + 2 + size > bytes.length) return null;
    if (size === 0) break;
    parts.push(bytes.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The response in `bytes` (everything the server sent before it closed). */
function parse(bytes: Uint8Array, head: boolean): Outcome {
  const end = indexOf(bytes, [13, 10, 13, 10]);
  if (end < 0) {
    return { error: bytes.length === 0 ? "no response" : `no head in "${decoder.decode(bytes)}"` };
  }
  const [statusLine = "", ...lines] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (m === null) return { error: `bad status line "${statusLine}"` };
  const status = Number(m[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  let body = bytes.subarray(end + 4);
  if (head || status < 200 || status === 204 || status === 304) {
    body = new Uint8Array(0);
  } else if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    const decoded = dechunk(body);
    if (decoded === null) return { error: "bad chunked body" };
    body = decoded;
  } else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (body.length < length) return { error: `body ${length - body.length} bytes short` };
    body = body.subarray(0, length);
  }
  return { status, headers, text: decoder.decode(body) };
}

/**
 * Sends `request` from `from` on a new connection and reads until the server closes it (every
 * request says Connection: close), within DEADLINE_MS.
 */
function exchange(port: number, request: string, head: boolean, from = "127.0.0.1") {
  return new Promise<Outcome>((resolve) => {
    const chunks: Uint8Array[] = [];
    let failure: string | null = null;
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    const timer = setTimeout(() => {
      failure = "timeout";
      socket.destroy();
    }, DEADLINE_MS);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", (e: Error) => failure ??= e.message);
    socket.on("close", () => {
      clearTimeout(timer);
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.length;
      }
      // A reset after the whole answer still leaves the answer.
      const outcome = parse(bytes, head);
      resolve("error" in outcome && failure !== null ? { error: failure } : outcome);
    });
  });
}

/** The parts of an answer both servers should agree on, field → normalised value. */
function view(c: Single, r: Outcome): Map<string, string> {
  const fields = new Map<string, string>();
  if ("error" in r) {
    fields.set("status", r.error);
    return fields;
  }
  const h = (name: string) => r.headers.get(name);
  fields.set("status", String(r.status));
  const type = h("content-type");
  if (type !== undefined) {
    // nginx never labels a redirect's page with a charset (see nginx_diff_test.ts).
    let normal = type.toLowerCase().replaceAll(" ", "");
    if (r.status >= 300 && r.status < 400) normal = normal.replace(/;charset=.*$/, "");
    fields.set("content-type", normal);
  }
  // Bodies the servers take from the same files (or the same `return` text) must be the same.
  const ok = r.status >= 200 && r.status < 300;
  if (!c.generated && (ok || r.status === 404 || c.sameBody)) {
    fields.set("content-length", h("content-length") ?? "(none)");
    if (!c.head) fields.set("body", r.text);
  }
  for (const name of ["location", "cache-control", "www-authenticate"]) {
    const value = h(name);
    if (value !== undefined) fields.set(name, value);
  }
  if (h("expires") !== undefined) fields.set("expires", "(present)");
  // Validators belong to a representation: nginx sends its error page's ETag, webserv none.
  if (r.status < 400) {
    for (const name of ["etag", "last-modified"]) {
      if (h(name) !== undefined) fields.set(name, "(present)");
    }
  }
  if (r.status === 200 && h("accept-ranges") !== undefined) {
    fields.set("accept-ranges", "(present)");
  }
  // The product differs ("nginx", "webserv"); server_tokens decides whether a version follows.
  const server = h("server");
  fields.set(
    "server",
    server === undefined ? "(absent)" : server.includes("/") ? "(with version)" : "(name only)",
  );
  // Every header of add_header (the config's are all X-…), and any a request could smuggle in.
  for (const [name, value] of r.headers) {
    if (name.startsWith("x-")) fields.set(name, value);
  }
  return fields;
}

/** One table cell: JSON-quoted, at most `max` characters, with pipes escaped. */
function cell(value: string, max = 40): string {
  const text = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(text).slice(1, -1).replaceAll("|", "\\|");
}

/** The statuses of a sequence, as one field. */
async function runSequence(port: number, s: Sequence): Promise<Map<string, string>> {
  const one = () => exchange(port, get(s.path), false);
  const outcomes: Outcome[] = [];
  if (s.mode === "in a row") {
    for (let i = 0; i < s.count; i++) outcomes.push(await one());
  } else {
    const gap = s.mode === "at once" ? 0 : s.mode;
    const pending: Promise<Outcome>[] = [];
    for (let i = 0; i < s.count; i++) {
      if (i > 0 && gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      pending.push(one());
    }
    outcomes.push(...await Promise.all(pending));
  }
  const statuses = outcomes.map((o) => "error" in o ? o.error : String(o.status));
  if (s.mode === "at once") statuses.sort();
  return new Map([["statuses", statuses.join(",")]]);
}

/** The validators each path has on the server at `port`, fetched once. */
function lookupOn(port: number): Lookup {
  const cache = new Map<string, Promise<Validators>>();
  return (path) => {
    let v = cache.get(path);
    if (v === undefined) {
      v = exchange(port, get(path), false).then((r) => {
        if ("error" in r) throw new Error(`GET ${path} failed: ${r.error}`);
        return {
          etag: r.headers.get("etag") ?? '"none"',
          lastModified: r.headers.get("last-modified") ?? "",
        };
      });
      cache.set(path, v);
    }
    return v;
  };
}

function startNginx(): Promise<Nginx> {
  return startNginxFrom(
    "directives",
    async (prefix) =>
      (await Deno.readTextFile(join(DATA, "nginx.conf")))
        .replaceAll("@USER@", Deno.uid() === 0 ? "user root;" : "")
        .replaceAll("@PREFIX@", prefix)
        .replaceAll("@DATA@", DATA)
        .replaceAll("@ROOT@", ROOT),
  );
}

Deno.test({
  name: NGINX_MISSING === null
    ? "webserv's directives answer like nginx's but for the known differences"
    : `webserv's directives answer like nginx's (skipped: ${NGINX_MISSING})`,
  ignore: NGINX_MISSING !== null,
  async fn() {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "Case names repeat");
    for (const name of Object.keys(KNOWN)) {
      assert.ok(CASES.some((c) => c.name === name), `Known difference "${name}" has no case`);
    }
    // webserv reads its config from a file of its own (loadConfig reads includes; parseConfig,
    // which startTestServer uses, does not), next to its error log.
    const dir = await Deno.makeTempDir({ prefix: "webserv-directives-diff-" });
    const file = join(dir, "webserv.conf");
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(join(DATA, "webserv.conf")))
        .replaceAll("@LOG@", join(dir, "error.log"))
        .replaceAll("@DATA@", DATA)
        .replaceAll("@ROOT@", ROOT),
    );
    let ours: RunningServer | null = null;
    let nginx: Nginx | null = null;
    try {
      const loaded = await loadConfig(file);
      assert.deepEqual(loaded.warnings, [], "webserv.conf has warnings");
      ours = await startServer(loaded.config);
      const port = ours.addrs[0]!.port;
      nginx = await startNginx();
      const lookup = { ours: lookupOn(port), nginx: lookupOn(nginx.port) };
      const rows: string[] = [];
      const unexpected: string[] = [];
      const stale: string[] = [];
      for (const c of CASES) {
        let a: Map<string, string>;
        let b: Map<string, string>;
        if ("path" in c) {
          a = await runSequence(port, c);
          b = await runSequence(nginx.port, c);
        } else {
          const request = async (v: Lookup) =>
            typeof c.request === "string" ? c.request : await c.request(v);
          const head = c.head ?? false;
          a = view(c, await exchange(port, await request(lookup.ours), head, c.from));
          b = view(c, await exchange(nginx.port, await request(lookup.nginx), head, c.from));
        }
        const diffs = differences(a, b);
        if (Deno.env.get("DIFF_VERBOSE")) {
          console.log(c.name, JSON.stringify([...a]), JSON.stringify([...b]));
        }
        const known = KNOWN[c.name];
        if (diffs.length === 0 && known !== undefined) stale.push(c.name);
        if (diffs.length > 0 && known === undefined) unexpected.push(c.name);
        // When the statuses differ the other fields differ with them: show the status only.
        const shown = diffs.some((d) => d.field === "status")
          ? diffs.filter((d) => d.field === "status")
          : diffs;
        for (const d of shown) {
          rows.push(
            `| ${cell(c.name, 60)} | ${d.field} | ${cell(d.ours)} | ${cell(d.nginx)} | ` +
              `${known === undefined ? "**unexpected**" : cell(known, 400)} |`,
          );
        }
      }
      console.log(
        [
          `\nwebserv vs nginx, directives: ${CASES.length} requests or sequences, ${
            CASES.length - unexpected.length - Object.keys(KNOWN).length + stale.length
          } alike`,
          "| request | field | webserv | nginx | known reason |",
          "|---|---|---|---|---|",
          ...rows,
          "",
        ].join("\n"),
      );
      assert.deepEqual(
        { unexpected, stale },
        { unexpected: [], stale: [] },
        "unexpected: requests answered differently from nginx; " +
          "stale: known differences that now agree (delete them from KNOWN)",
      );
    } finally {
      await nginx?.stop();
      await ours?.shutdown();
      if (Deno.env.get("DIFF_VERBOSE")) {
        console.log(await Deno.readTextFile(join(dir, "error.log")).catch(() => ""));
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
