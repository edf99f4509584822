import assert from "node:assert/strict";
import { compileTemplate, expand } from "../../../lib/variables/template.ts";
import { testContext, testHead } from "../_fixtures.ts";

const ctx = testContext({
  head: testHead({
    method: "POST",
    target: "/a%20b?x=1&Page=2",
    headers: [
      ["host", "example.com"],
      ["user-agent", "ua"],
      ["x-forwarded-for", "10.0.0.1"],
      ["x-forwarded-for", "10.0.0.2"],
      ["cookie", "a=1"],
      ["cookie", "sid=s1"],
      ["content-type", "text/plain"],
    ],
  }),
  host: "example.com",
});

Deno.test("expand() reads every variable of the table", () => {
  const table: [string, string][] = [
    ["$scheme://$host$request_uri", "http://example.com/a%20b?x=1&Page=2"],
    ["$uri|$document_uri", "/a b|/a b"],
    ["$args|$query_string|$is_args", "x=1&Page=2|x=1&Page=2|?"],
    ["$request_method $server_protocol", "POST HTTP/1.1"],
    ["$remote_addr:$remote_port $server_addr:$server_port", "127.0.0.1:50000 127.0.0.1:8080"],
    ["$http_user_agent|$http_x_forwarded_for", "ua|10.0.0.1, 10.0.0.2"],
    ["$http_cookie", "a=1; sid=s1"],
    ["$cookie_sid|$cookie_none", "s1|"],
    ["$arg_x|$arg_page|$arg_none", "1|2|"],
    ["$content_type|$content_length", "text/plain|"],
    ["${host}x and $", "example.comx and $"],
    ["$HOST", "example.com"],
  ];
  for (const [text, expected] of table) {
    const t = compileTemplate(text);
    assert.ok(!("error" in t), text);
    assert.equal(expand(t, ctx), expected, text);
  }
});

Deno.test("expand() encodes decoded paths only where asked (a URL)", () => {
  const t = compileTemplate("/new$uri?$args");
  assert.ok(!("error" in t));
  assert.equal(expand(t, ctx, (path) => path.replaceAll(" ", "%20")), "/new/a%20b?x=1&Page=2");
});

Deno.test("compileTemplate() refuses an unknown variable with nginx's words", () => {
  assert.deepEqual(compileTemplate("$hostt"), { error: 'unknown "hostt" variable' });
  assert.deepEqual(compileTemplate("${http_}"), { error: 'unknown "http_" variable' });
});

Deno.test("$request_filename and $realpath_root follow root and alias", () => {
  const t = compileTemplate("$request_filename|$realpath_root");
  assert.ok(!("error" in t));
  const rooted = testContext({
    head: testHead({ target: "/a/b.txt" }),
    location: { ...ctx.location, root: "/srv/www", alias: null, realRoot: "/data/www" },
  });
  assert.equal(expand(t, rooted), "/srv/www/a/b.txt|/data/www");
  const aliased = testContext({
    head: testHead({ target: "/img/x.png" }),
    location: {
      ...ctx.location,
      path: "/img/",
      alias: "/srv/pictures/",
      realRoot: "/srv/pictures",
    },
  });
  assert.equal(expand(t, aliased), "/srv/pictures/x.png|/srv/pictures");
});
