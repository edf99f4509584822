import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import { mergeSettings } from "../../../lib/config/merge.ts";
import { defaultSettings } from "../../../lib/config/defaults.ts";
import type { ServerConfig, Settings } from "../../../lib/config/types.ts";
import { returnOf } from "../_fixtures.ts";

const FILE = "/srv/conf/site.conf";

function servers(text: string): ServerConfig[] {
  return parseConfig(text, FILE).servers;
}

const PARENT: Settings = {
  ...defaultSettings("/p"),
  root: "/p",
  autoindex: true,
  allowMethods: ["GET", "HEAD"],
  clientMaxBodySize: 10,
  errorPages: new Map([[404, { uri: "/404.html" }], [500, { uri: "/500.html" }]]),
  uploadStore: "/up",
  cgi: new Map([[".py", "/usr/bin/python3"]]),
};

Deno.test("mergeSettings() takes every unset field from the parent", () => {
  assert.deepEqual(mergeSettings(PARENT, {}), PARENT);
});

Deno.test("mergeSettings() keeps every field the child sets", () => {
  // Every field differs from the parent's.
  const child: Settings = {
    ...defaultSettings("/c"),
    root: "/c",
    index: ["a.htm"],
    autoindex: false,
    allowMethods: null,
    clientMaxBodySize: 0,
    errorPages: new Map([[403, { uri: "/403.html" }]]),
    uploadStore: null,
    cgi: new Map([[".pl", "/usr/bin/perl"]]),
    cgiTimeout: 5_000,
    clientHeaderTimeout: 1,
    clientBodyTimeout: 2,
    keepaliveTimeout: 3,
    sendTimeout: 4,
    accessLogs: [],
    types: new Map([["x", "text/x"]]),
    defaultType: "application/octet-stream",
    charset: "koi8-r",
    charsetTypes: ["text/x"],
    satisfy: "any",
    authBasic: "realm",
    limitReqStatus: 429,
  };
  assert.deepEqual(mergeSettings(PARENT, child), child);
});

Deno.test("mergeSettings() copies arrays and maps", () => {
  const merged = mergeSettings(PARENT, {});
  assert.notEqual(merged.index, PARENT.index);
  assert.notEqual(merged.allowMethods, PARENT.allowMethods);
  assert.notEqual(merged.errorPages, PARENT.errorPages);
  assert.notEqual(merged.cgi, PARENT.cgi);
});

Deno.test("parseConfig() fills a bare server with the defaults", () => {
  const [s] = servers("server {}");
  assert.ok(s);
  assert.deepEqual(s.listen, [{ host: "0.0.0.0", port: 8080, defaultServer: false, ssl: false }]);
  assert.deepEqual(s.serverNames, []);
  assert.equal(s.root, "/srv/conf/html");
  assert.deepEqual(s.index, ["index.html"]);
  assert.equal(s.autoindex, false);
  assert.equal(s.allowMethods, null);
  assert.equal(s.clientMaxBodySize, 1024 * 1024);
  assert.deepEqual(s.errorPages, new Map());
  assert.equal(s.uploadStore, null);
  assert.deepEqual(s.cgi, new Map());
  assert.equal(s.clientHeaderTimeout, 60_000);
  assert.equal(s.clientBodyTimeout, 60_000);
  assert.equal(s.keepaliveTimeout, 75_000);
  assert.equal(s.sendTimeout, 60_000);
  assert.deepEqual(s.accessLogs.map((l) => [l.path, l.format.name]), [["stdout", "combined"]]);
  assert.equal(returnOf(s), null);
});

Deno.test("parseConfig() adds an implicit location / carrying the server's settings", () => {
  const [s] = servers("server {\n  root /www;\n  autoindex on;\n  location /a/ {}\n}");
  assert.ok(s);
  const root = s.locations.find((l) => l.path === "/")!;
  // Everything the server has, the implicit location has too.
  const { locations: _l, regexes: _r, named: _n, listen: _li, serverNames: _s, ...settings } = s;
  for (const [field, value] of Object.entries(settings)) {
    if (["script", "limits", "sessions", "acme", "pos"].includes(field)) {
      continue;
    }
    assert.deepEqual((root as unknown as Record<string, unknown>)[field], value, field);
  }
  assert.equal(root.root, "/www");
  assert.equal(root.autoindex, true);
  assert.deepEqual([root.path, root.modifier, root.alias, root.script], ["/", "", null, []]);
});

Deno.test("parseConfig() adds no implicit location when location / exists", () => {
  const [s] = servers("server {\n  location / { autoindex on; }\n  location = / {}\n}");
  assert.deepEqual(s?.locations.map((l) => [l.path, l.modifier === "=", l.autoindex]), [
    ["/", true, false],
    ["/", false, true],
  ]);
});

Deno.test("parseConfig() lets locations inherit what they do not set", () => {
  const [s] = servers(`server {
    root /www;
    index a.html;
    autoindex on;
    allow_methods GET;
    client_max_body_size 2k;
    error_page 404 /404.html;
    upload_store /up;
    cgi .py /usr/bin/python3;
    location /a/ {}
    location /b/ {
      root /other;
      index b.html;
      autoindex off;
      allow_methods POST;
      client_max_body_size 0;
      error_page 500 /500.html;
      upload_store off;
      cgi .pl /usr/bin/perl;
    }
  }`);
  assert.ok(s);
  const [a, b] = s.locations;
  assert.deepEqual(
    [a?.path, a?.root, a?.index, a?.autoindex, a?.allowMethods, a?.clientMaxBodySize],
    ["/a/", "/www", ["a.html"], true, ["GET", "HEAD"], 2048],
  );
  assert.deepEqual([a?.errorPages, a?.uploadStore, a?.cgi], [
    new Map([[404, { uri: "/404.html" }]]),
    "/up",
    new Map([[".py", "/usr/bin/python3"]]),
  ]);
  assert.deepEqual(
    [b?.path, b?.root, b?.index, b?.autoindex, b?.allowMethods, b?.clientMaxBodySize],
    ["/b/", "/other", ["b.html"], false, ["POST"], 0],
  );
  // A location's error_page and cgi replace the server's maps as a whole, like nginx.
  assert.deepEqual([b?.errorPages, b?.uploadStore, b?.cgi], [
    new Map([[500, { uri: "/500.html" }]]),
    null,
    new Map([[".pl", "/usr/bin/perl"]]),
  ]);
});

Deno.test("parseConfig() does not inherit alias or return into locations", () => {
  const [s] = servers(
    "server {\n  return 404;\n  location /a/ { alias /x; }\n  location /b/ {}\n}",
  );
  assert.ok(s);
  assert.deepEqual(returnOf(s), { code: 404 });
  assert.deepEqual(s.locations.map((l) => [l.path, l.alias, returnOf(l)]), [
    ["/a/", "/x", null],
    ["/b/", null, null],
    ["/", null, null],
  ]);
});

Deno.test("parseConfig() sorts exact locations first, then prefixes, longest first", () => {
  const [s] = servers(`server {
    location /a/ {}
    location = /x {}
    location /a/b/c/ {}
    location / {}
    location = /longer/exact {}
    location /b/ {}
    location /a/b/ {}
  }`);
  assert.deepEqual(s?.locations.map((l) => `${l.modifier}${l.path}`), [
    "=/longer/exact",
    "=/x",
    "/a/b/c/",
    "/a/b/",
    "/a/",
    "/b/",
    "/",
  ]);
});

Deno.test("parseConfig() gives each server and location its own maps", () => {
  const [one, two] = servers(
    "server { error_page 404 /e.html; }\nserver { error_page 404 /e.html; }",
  );
  assert.ok(one && two);
  assert.notEqual(one.errorPages, one.locations[0]?.errorPages);
  one.errorPages.set(500, { uri: "/x" });
  assert.equal(one.locations[0]?.errorPages.has(500), false);
  assert.equal(two.errorPages.has(500), false);
});

Deno.test("parseConfig() allows servers sharing a listen address and a name", () => {
  const list = servers(
    "server { listen 80; server_name a; }\nserver { listen 80; server_name a; }",
  );
  assert.equal(list.length, 2);
});

Deno.test("acme_issuer and acme_certificate: nginx's defaults, names from server_name", () => {
  const config = parseConfig(
    `acme_issuer le {
  uri https://ca.test/dir;
  contact admin@a.test;
  contact mailto:ops@a.test;
}
server { server_name a.test *.a.test www.a.test ~^x; acme_certificate le; }
server { server_name b.test; acme_certificate le c.test key=ecdsa:256; }
server { server_name d.test; }`,
    "/etc/webserv/x.conf",
  );
  const issuer = config.acmeIssuers.get("le")!;
  assert.deepEqual(
    [issuer.uri, issuer.contact, issuer.statePath, issuer.acceptTermsOfService],
    [
      "https://ca.test/dir",
      ["mailto:admin@a.test", "mailto:ops@a.test"],
      "/etc/webserv/acme_le",
      false,
    ],
  );
  assert.deepEqual(config.servers.map((s) => s.acme?.names ?? null), [
    ["a.test", "www.a.test"],
    ["c.test"],
    null,
  ]);
});
