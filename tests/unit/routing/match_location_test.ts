/** nginx's location order, rule by rule, on locations as the configuration makes them. */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import { matchLocation } from "../../../lib/routing/match_location.ts";
import { returnOf } from "../_fixtures.ts";

// Each location returns its own name, so a match can be named by it.
const server = parseConfig(
  String.raw`server {
  location = / { return 200 "exact /"; }
  location / { return 200 "prefix /"; }
  location /documents/ { return 200 "documents"; }
  location ^~ /images/ { return 200 "images (^~)"; }
  location ~* \.(gif|jpg|jpeg)$ { return 200 "pictures (~*)"; }
  location /static/ {
    return 200 "static";
    location ~ \.css$ { return 200 "static css (nested ~)"; }
  }
  location ~ ^/api/(v\d)/(.*)$ { return 200 "api (~)"; }
  location ~ ^/api/ { return 200 "api, second (~)"; }
  location /app/ {
    return 200 "app";
    location /app/admin/ { return 200 "app admin (nested)"; }
    location ~ \.php$ { return 200 "app php (nested ~)"; }
  }
  location ^~ /nest/ {
    return 200 "nest (^~)";
    location ~ \.x$ { return 200 "nest x (nested ~)"; }
  }
  location ~ ^/case/ { return 200 "case (~)"; }
  location /proxied/ { proxy_pass http://127.0.0.1:9; }
  location @fallback { return 200 "named"; }
}`,
  "/etc/webserv/t.conf",
).servers[0]!;

function nameOf(path: string): string {
  return returnOf(matchLocation(server, path).location)?.text?.source ?? "(none)";
}

Deno.test("matchLocation() follows nginx's order", () => {
  const table: [path: string, expected: string, rule: string][] = [
    ["/", "exact /", "an exact match wins at once"],
    ["/index.html", "prefix /", "the longest prefix, no expression matching"],
    ["/documents/a.html", "documents", "the longest prefix"],
    ["/documents/1.jpg", "pictures (~*)", "an expression beats the longest prefix"],
    ["/DOCUMENTS/1.JPG", "pictures (~*)", "~* ignores case"],
    ["/images/1.gif", "images (^~)", "^~ stops the search for expressions"],
    ["/static/a.css", "static css (nested ~)", "a nested expression of the longest prefix"],
    ["/static/a.jpg", "pictures (~*)", "no nested match: the level's own expressions"],
    ["/static/a.txt", "static", "no expression at all: the longest prefix"],
    ["/api/v2/users", "api (~)", "expressions in the order of the file: the first wins"],
    ["/api/other", "api, second (~)", "the next expression"],
    [
      "/app/admin/x.php",
      "app php (nested ~)",
      "nested prefix, then the nesting level's expressions",
    ],
    ["/app/admin/x.html", "app admin (nested)", "the longest nested prefix"],
    ["/nest/a.x", "nest x (nested ~)", "^~ stops its own level's expressions, not the nested ones"],
    ["/nest/a.jpg", "nest (^~)", "^~ keeps the server's expressions out"],
    ["/Case/x", "prefix /", "~ is case-sensitive"],
    ["/documents", "prefix /", "/dir is not in location /dir/ (nginx)"],
    ["/proxied", "(none)", "but it reaches a proxying location /dir/ (which redirects it)"],
    ["/@fallback", "prefix /", "a named location is never matched by a path"],
  ];
  for (const [path, expected, rule] of table) {
    assert.equal(nameOf(path), expected, `${path}: ${rule}`);
  }
});

Deno.test("matchLocation() returns what the expression captured", () => {
  assert.deepEqual(matchLocation(server, "/api/v2/users/7").captures, [
    "/api/v2/users/7",
    "v2",
    "users/7",
  ]);
  assert.deepEqual(matchLocation(server, "/documents/a.html").captures, []);
  // $0 is what the expression matched, not the whole path.
  assert.deepEqual(matchLocation(server, "/a.jpeg").captures, [".jpeg", "jpeg"]);
});

Deno.test("named locations are kept apart, by name", () => {
  assert.equal(returnOf(server.named.get("@fallback")!)?.text?.source, "named");
  assert.equal(server.regexes.length, 4);
});
