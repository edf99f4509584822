import assert from "node:assert/strict";
import { buildCgiEnv, CGI_PATH, type CgiEnvInput } from "../../../lib/cgi/env.ts";
import type { RequestHead } from "../../../lib/http/request.ts";
import { VERSION } from "../../../lib/version.ts";
import { testHead } from "../_fixtures.ts";

function head(over: Partial<RequestHead> = {}): RequestHead {
  return testHead({
    target: "/cgi-bin/env.py/a%20b?x=1&y=%41",
    headers: [["host", "example.org:8080"]],
    ...over,
  });
}

function input(over: Partial<CgiEnvInput> = {}): CgiEnvInput {
  return {
    head: head(),
    scriptName: "/cgi-bin/env.py",
    scriptFilename: "/srv/www/cgi-bin/env.py",
    pathInfo: "/a b",
    documentRoot: "/srv/www",
    host: "example.org",
    serverNames: ["www.example.org"],
    local: { hostname: "127.0.0.1", port: 8080 },
    remote: { hostname: "10.0.0.7", port: 51234 },
    contentLength: null,
    ...over,
  };
}

Deno.test("buildCgiEnv() sets the RFC 3875 variables for a GET", () => {
  assert.deepEqual(buildCgiEnv(input()), {
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    SERVER_SOFTWARE: `webserv/${VERSION}`,
    SERVER_NAME: "example.org",
    SERVER_ADDR: "127.0.0.1",
    SERVER_PORT: "8080",
    REQUEST_METHOD: "GET",
    REQUEST_URI: "/cgi-bin/env.py/a%20b?x=1&y=%41",
    REQUEST_SCHEME: "http",
    SCRIPT_NAME: "/cgi-bin/env.py",
    SCRIPT_FILENAME: "/srv/www/cgi-bin/env.py",
    DOCUMENT_ROOT: "/srv/www",
    PATH_INFO: "/a b",
    PATH_TRANSLATED: "/srv/www/a b",
    QUERY_STRING: "x=1&y=%41",
    REMOTE_ADDR: "10.0.0.7",
    REMOTE_PORT: "51234",
    REDIRECT_STATUS: "200",
    PATH: CGI_PATH,
    HTTP_HOST: "example.org:8080",
  });
});

/** [description, input changes, variable, expected value (undefined: not set)] */
const cases: [string, Partial<CgiEnvInput>, string, string | undefined][] = [
  ["HTTP/1.0 request", { head: head({ minor: 0 }) }, "SERVER_PROTOCOL", "HTTP/1.0"],
  ["SERVER_NAME from server_name without Host", { host: "" }, "SERVER_NAME", "www.example.org"],
  [
    "SERVER_NAME from the local address without Host or server_name",
    { host: "", serverNames: [] },
    "SERVER_NAME",
    "127.0.0.1",
  ],
  ["no PATH_INFO when nothing follows the script", { pathInfo: "" }, "PATH_INFO", undefined],
  ["no PATH_TRANSLATED without PATH_INFO", { pathInfo: "" }, "PATH_TRANSLATED", undefined],
  [
    "PATH_TRANSLATED without a doubled slash",
    { documentRoot: "/srv/www/" },
    "PATH_TRANSLATED",
    "/srv/www/a b",
  ],
  ["QUERY_STRING empty without a query", { head: head({ query: "" }) }, "QUERY_STRING", ""],
  ["no CONTENT_LENGTH without a body", { contentLength: null }, "CONTENT_LENGTH", undefined],
  ["no CONTENT_LENGTH for an empty body", { contentLength: 0 }, "CONTENT_LENGTH", undefined],
  ["CONTENT_LENGTH in decimal", { contentLength: 1048576 }, "CONTENT_LENGTH", "1048576"],
  [
    "CONTENT_TYPE from the header",
    { head: head({ headers: [["content-type", "text/plain; charset=utf-8"]] }) },
    "CONTENT_TYPE",
    "text/plain; charset=utf-8",
  ],
  [
    "no HTTP_CONTENT_TYPE",
    { head: head({ headers: [["content-type", "text/plain"]] }) },
    "HTTP_CONTENT_TYPE",
    undefined,
  ],
  [
    "no HTTP_CONTENT_LENGTH",
    { head: head({ headers: [["content-length", "5"]] }), contentLength: 5 },
    "HTTP_CONTENT_LENGTH",
    undefined,
  ],
  [
    "httpoxy: no HTTP_PROXY",
    { head: head({ headers: [["proxy", "http://evil:1"]] }) },
    "HTTP_PROXY",
    undefined,
  ],
  [
    "header names upper-cased with '-' as '_'",
    { head: head({ headers: [["x-forwarded-for", "1.2.3.4"]] }) },
    "HTTP_X_FORWARDED_FOR",
    "1.2.3.4",
  ],
  [
    "repeated headers joined with ', '",
    { head: head({ headers: [["accept", "text/html"], ["accept", "*/*"]] }) },
    "HTTP_ACCEPT",
    "text/html, */*",
  ],
  [
    "repeated Cookie joined with '; '",
    { head: head({ headers: [["cookie", "a=1"], ["cookie", "b=2"]] }) },
    "HTTP_COOKIE",
    "a=1; b=2",
  ],
  [
    "a name with '_' is dropped (it would pass for '-')",
    { head: head({ headers: [["x_a", "spoof"]] }) },
    "HTTP_X_A",
    undefined,
  ],
  ["the method as sent", { head: head({ method: "POST" }) }, "REQUEST_METHOD", "POST"],
];

for (const [description, over, name, expected] of cases) {
  Deno.test(`buildCgiEnv() handles ${description}`, () => {
    assert.equal(buildCgiEnv(input(over))[name], expected);
  });
}

Deno.test("buildCgiEnv() takes nothing from the server's environment", () => {
  const env = buildCgiEnv(input({ head: head({ headers: [] }) }));
  for (const key of ["HOME", "USER", "PWD", "LANG", "SHELL", "TERM"]) {
    assert.equal(env[key], undefined, key);
  }
  const allowed = /^(HTTP_[A-Z0-9_]+|[A-Z_]+)$/;
  for (const key of Object.keys(env)) assert.match(key, allowed);
});
