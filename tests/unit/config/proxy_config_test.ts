/** `upstream` blocks and the `proxy_*` directives: what they set, and nginx's errors. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../lib/config/load.ts";
import type { LocationConfig } from "../../../lib/config/types.ts";

const F = "conf/x.conf";

/** The first location of the first server (the one the text puts on line 3). */
function firstLocation(text: string): LocationConfig {
  return parseConfig(text, F).servers[0]!.locations[0]!;
}

const site = (location: string, top = "") =>
  `${top}server {\nlocation /app/ {\n${location}\n}\n}\n`;

Deno.test("proxy_pass to host:port makes a one-server upstream with nginx's defaults", () => {
  const { proxyPass } = firstLocation(site("proxy_pass http://127.0.0.1:8081;"));
  assert.ok(proxyPass !== null);
  assert.equal(proxyPass.uri, null);
  assert.equal(proxyPass.host, "127.0.0.1:8081");
  assert.equal(proxyPass.port, 8081);
  assert.deepEqual(proxyPass.upstream.servers.map((s) => [s.text, s.maxFails, s.failTimeout]), [
    ["127.0.0.1:8081", 1, 10_000],
  ]);
  assert.equal(proxyPass.upstream.keepalive, 0);
});

Deno.test("proxy_pass keeps its URI part, and port 80 stays out of $proxy_host", () => {
  const { proxyPass } = firstLocation(site("proxy_pass http://127.0.0.1/v1/;"));
  assert.equal(proxyPass?.uri, "/v1/");
  assert.equal(proxyPass?.host, "127.0.0.1");
  assert.equal(proxyPass?.port, 80);
});

Deno.test("proxy_pass to a unix socket, with and without a URI", () => {
  const bare = firstLocation(site("proxy_pass http://unix:/run/app.sock;")).proxyPass;
  assert.deepEqual(bare?.upstream.servers[0]?.address, { path: "/run/app.sock" });
  assert.equal(bare?.uri, null);
  assert.equal(bare?.host, "localhost");
  const withUri = firstLocation(site("proxy_pass http://unix:/run/app.sock:/x/;")).proxyPass;
  assert.deepEqual(withUri?.upstream.servers[0]?.address, { path: "/run/app.sock" });
  assert.equal(withUri?.uri, "/x/");
});

Deno.test("proxy_pass names an upstream block, even one defined after it", () => {
  const text = site("proxy_pass http://Backend;") +
    "upstream backend {\nserver 127.0.0.1:1 weight=3 max_fails=2 fail_timeout=5s;\n" +
    "server 127.0.0.1:2 backup;\nserver 127.0.0.1:3 down;\nkeepalive 8;\nkeepalive_timeout 30s;\n" +
    "keepalive_requests 50;\n}\n";
  const config = parseConfig(text, F);
  const { proxyPass } = config.servers[0]!.locations[0]!;
  assert.equal(proxyPass?.upstream, config.upstreams.get("backend"));
  assert.equal(proxyPass?.host, "backend");
  const upstream = proxyPass!.upstream;
  assert.deepEqual(
    upstream.servers.map((s) => [s.text, s.weight, s.maxFails, s.failTimeout, s.backup, s.down]),
    [
      ["127.0.0.1:1", 3, 2, 5000, false, false],
      ["127.0.0.1:2", 1, 1, 10_000, true, false],
      ["127.0.0.1:3", 1, 1, 10_000, false, true],
    ],
  );
  assert.deepEqual([upstream.keepalive, upstream.keepaliveTimeout, upstream.keepaliveRequests], [
    8,
    30_000,
    50,
  ]);
});

Deno.test("two proxy_pass lines to one address share one implicit upstream", () => {
  const text = "server {\nlocation /a/ { proxy_pass http://127.0.0.1:9/; }\n" +
    "location /b/ { proxy_pass http://127.0.0.1:9; }\n}\n";
  const [a, b] = parseConfig(text, F).servers[0]!.locations;
  assert.equal(a?.proxyPass?.upstream, b?.proxyPass?.upstream);
});

Deno.test("proxy_set_header lines replace the level above's, as nginx inherits them", () => {
  const text = "proxy_set_header X-A 1;\nserver {\nproxy_set_header X-B 2;\n" +
    "location /in/ { proxy_pass http://127.0.0.1:9; }\n" +
    "location /own/ { proxy_set_header X-C 3; proxy_set_header X-D 4; }\n}\n";
  const server = parseConfig(text, F).servers[0]!;
  const names = (path: string) =>
    server.locations.find((l) => l.path === path)!.proxySetHeaders.map(([name]) => name);
  assert.deepEqual(names("/in/"), ["X-B"]);
  assert.deepEqual(names("/own/"), ["X-C", "X-D"]);
});

Deno.test("the proxy settings read as nginx's, with nginx's defaults", () => {
  const fresh = firstLocation(site("proxy_pass http://127.0.0.1:9;"));
  assert.deepEqual(
    [
      fresh.proxyHttpVersion,
      fresh.proxyConnectTimeout,
      fresh.proxyReadTimeout,
      fresh.proxySendTimeout,
      fresh.proxyNextUpstream,
      fresh.proxyRedirect,
      fresh.proxyInterceptErrors,
    ],
    ["1.0", 60_000, 60_000, 60_000, ["error", "timeout"], [{ kind: "default" }], false],
  );
  const set = firstLocation(site(
    "proxy_pass http://127.0.0.1:9;\nproxy_http_version 1.1;\nproxy_read_timeout 2s;\n" +
      "proxy_next_upstream error timeout http_502;\nproxy_hide_header X-Secret;\n" +
      "proxy_pass_header Server;\nproxy_redirect off;\nproxy_intercept_errors on;",
  ));
  assert.equal(set.proxyHttpVersion, "1.1");
  assert.equal(set.proxyReadTimeout, 2000);
  assert.deepEqual(set.proxyNextUpstream, ["error", "timeout", "http_502"]);
  assert.deepEqual(set.proxyHideHeaders, ["x-secret"]);
  assert.deepEqual(set.proxyPassHeaders, ["server"]);
  assert.equal(set.proxyRedirect, "off");
  assert.equal(set.proxyInterceptErrors, true);
  assert.deepEqual(
    firstLocation(site("proxy_pass http://127.0.0.1:9;\nproxy_next_upstream off;"))
      .proxyNextUpstream,
    [],
  );
});

const ERRORS: Array<[text: string, expected: string]> = [
  [site("proxy_pass 127.0.0.1:9;"), `${F}:3: invalid URL prefix in "127.0.0.1:9"`],
  [site("proxy_pass https://a.example;"), `${F}:3: proxying to https is not supported by webserv`],
  [
    site("proxy_pass http://$host;"),
    `${F}:3: variables in proxy_pass are not supported by webserv`,
  ],
  [
    site("proxy_pass http://127.0.0.1:99999;"),
    `${F}:3: invalid port in upstream "127.0.0.1:99999"`,
  ],
  [
    site("proxy_pass http://unix:;"),
    `${F}:3: no path in the unix domain socket in upstream "unix:"`,
  ],
  [
    "server {\nlocation ~ ^/a {\nproxy_pass http://127.0.0.1:9/x;\n}\n}\n",
    `${F}:3: "proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`,
  ],
  [
    site("proxy_pass http://a:1;\nproxy_pass http://a:2;"),
    `${F}:4: "proxy_pass" directive is duplicate`,
  ],
  ["server {\nproxy_pass http://a:1;\n}\n", `${F}:2: "proxy_pass" directive is not allowed here`],
  [site("proxy_http_version 2.0;"), `${F}:3: invalid value "2.0"`],
  [site("proxy_next_upstream error sometimes;"), `${F}:3: invalid value "sometimes"`],
  [site("proxy_set_header Bad:Name x;"), `${F}:3: invalid header name "Bad:Name"`],
  [site("proxy_read_timeout soon;"), `${F}:3: "proxy_read_timeout" directive invalid value`],
  [
    site("proxy_redirect default;"),
    `${F}:3: "proxy_redirect default" should be placed after the "proxy_pass" directive`,
  ],
  [site("proxy_redirect sometimes;"), `${F}:3: invalid parameter "sometimes"`],
  [
    site("proxy_redirect off;\nproxy_redirect off;"),
    `${F}:4: "proxy_redirect" directive is duplicate`,
  ],
  ["upstream u {\n}\nserver {}\n", `${F}:1: no servers are inside upstream`],
  [
    "upstream u {\nserver a:1;\n}\nupstream U {\nserver b:1;\n}\nserver {}\n",
    `${F}:4: duplicate upstream "U"`,
  ],
  ["upstream u {\nserver a:1 weight=0;\n}\nserver {}\n", `${F}:2: invalid parameter "weight=0"`],
  ["upstream u {\nserver a:1 slow;\n}\nserver {}\n", `${F}:2: invalid parameter "slow"`],
  ["upstream u {\nserver a:x;\n}\nserver {}\n", `${F}:2: invalid port in upstream "a:x"`],
  ["upstream u {\nroot /x;\n}\nserver {}\n", `${F}:2: "root" directive is not allowed here`],
  ["server {\nkeepalive 4;\n}\n", `${F}:2: "keepalive" directive is not allowed here`],
  [
    "upstream u {\nserver a:1;\nkeepalive 0;\n}\nserver {}\n",
    `${F}:3: invalid value "0" in "keepalive" directive, it must be between 1 and 999999999`,
  ],
  [
    site("proxy_pass http://u:8080;", "upstream u {\nserver a:1;\n}\n"),
    `${F}:6: upstream "u" may not have port 8080`,
  ],
];

for (const [text, expected] of ERRORS) {
  Deno.test(`parseConfig() fails with '${expected}'`, () => {
    assert.throws(() => parseConfig(text, F), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
      assert.equal(err.message, expected);
      return true;
    });
  });
}
