import assert from "node:assert/strict";
import type { ReturnDirective } from "../../../lib/config/types.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { errorPageBody } from "../../../lib/http/error_pages.ts";
import { returnResponse } from "../../../lib/phases/return.ts";
import { template, testContext, testHead, testLocation, testServer } from "../_fixtures.ts";

const decoder = new TextDecoder();

/** A context for `GET target` with the given Host (no port) and decoded path. */
function context(target: string, path: string, host = "example.com"): RequestContext {
  const location = testLocation();
  return testContext({
    head: testHead({
      target,
      headers: [["host", host], ["user-agent", "test-agent"], ["cookie", "a=1; sid=abc"]],
    }),
    path,
    location,
    server: testServer([location], { serverNames: ["default.test"] }),
    host,
  });
}

function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

for (const code of [301, 302, 303, 307, 308]) {
  Deno.test(`returnResponse() redirects with ${code}, a Location and nginx's page`, () => {
    const ret: ReturnDirective = { code, text: template("/new/place") };
    const response = returnResponse(ret, context("/old", "/old"));
    assert.equal(response.status, code);
    assert.equal(header(response.headers, "Location"), "/new/place");
    assert.equal(response.body, errorPageBody(code));
    assert.equal(header(response.headers, "Content-Type"), "text/html; charset=utf-8");
  });
}

Deno.test("returnResponse() renders the redirect page like nginx", () => {
  const response = returnResponse({ code: 301, text: template("/x") }, context("/", "/"));
  assert.equal(
    decoder.decode(response.body as Uint8Array),
    "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n" +
      "<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>webserv</center>\r\n" +
      "</body>\r\n</html>\r\n",
  );
});

Deno.test("returnResponse() sends a redirect without URL without Location", () => {
  const response = returnResponse({ code: 302 }, context("/", "/"));
  assert.equal(response.status, 302);
  assert.equal(header(response.headers, "Location"), undefined);
});

const VARIABLE_CASES: [text: string, target: string, path: string, expected: string][] = [
  ["https://$host$request_uri", "/a%20b?x=1", "/a b", "https://example.com/a%20b?x=1"],
  ["$scheme://$host/new$uri", "/a%20b", "/a b", "http://example.com/new/a%20b"],
  ["https://${host}${uri}$is_args$args", "/p?q=2", "/p", "https://example.com/p?q=2"],
  ["https://$host$uri$is_args$args", "/p", "/p", "https://example.com/p"],
  ["/search?$query_string", "/s?a=b&c=d", "/s", "/search?a=b&c=d"],
  ["http://$host:$server_port/", "/", "/", "http://example.com:8080/"],
  ["/price-$5", "/", "/", "/price-"],
  ["/r?ref=$http_referer&ua=$http_user_agent", "/", "/", "/r?ref=&ua=test-agent"],
  ["/u?id=$arg_id&c=$cookie_sid", "/p?x=1&id=42", "/p", "/u?id=42&c=abc"],
  ["$remote_addr:$remote_port $server_addr", "/", "/", "127.0.0.1:50000%20127.0.0.1"],
  ["/x/$uri", "/%0d%0aSet-Cookie:%20a=b", "/\r\nSet-Cookie: a=b", "/x//%0D%0ASet-Cookie:%20a=b"],
];

for (const [text, target, path, expected] of VARIABLE_CASES) {
  Deno.test(`returnResponse() substitutes "${text}" for "${target}"`, () => {
    const response = returnResponse({ code: 301, text: template(text) }, context(target, path));
    assert.equal(header(response.headers, "Location"), expected);
  });
}

Deno.test("returnResponse() uses the first server name for $host without Host", () => {
  const response = returnResponse(
    { code: 302, text: template("http://$host/") },
    context("/", "/", ""),
  );
  assert.equal(header(response.headers, "Location"), "http://default.test/");
});

Deno.test("returnResponse() never lets a value break the Location line", () => {
  const ctx = context("/", "/");
  ctx.head.query = "a\r\nX: y é";
  const response = returnResponse({ code: 302, text: template("/p?$args") }, ctx);
  assert.equal(header(response.headers, "Location"), "/p?a%0D%0AX:%20y%20%C3%A9");
});

Deno.test("returnResponse() sends text for other codes as text/plain", () => {
  const response = returnResponse(
    { code: 200, text: template("hello from $uri") },
    context("/a%20b", "/a b"),
  );
  assert.equal(response.status, 200);
  assert.equal(decoder.decode(response.body as Uint8Array), "hello from /a b");
  assert.equal(header(response.headers, "Content-Type"), "text/plain; charset=utf-8");
});

Deno.test("returnResponse() sends text for an error code too", () => {
  const response = returnResponse({ code: 403, text: template("go away") }, context("/", "/"));
  assert.equal(response.status, 403);
  assert.equal(decoder.decode(response.body as Uint8Array), "go away");
});

Deno.test("returnResponse() leaves an error code without text to the error page", () => {
  const response = returnResponse({ code: 404 }, context("/", "/"));
  assert.deepEqual(response, { status: 404, headers: [], body: null });
});

Deno.test("returnResponse() sends 204 without a body even with text", () => {
  const response = returnResponse({ code: 204, text: template("ignored") }, context("/", "/"));
  assert.deepEqual(response, { status: 204, headers: [], body: null });
});

Deno.test("returnResponse() sends an empty body for a success code without text", () => {
  const response = returnResponse({ code: 200 }, context("/", "/"));
  assert.equal(response.status, 200);
  assert.equal((response.body as Uint8Array).length, 0);
});
