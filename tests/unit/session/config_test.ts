/** The session directives: session, session_store, session_timeout, session_max. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../lib/config/load.ts";
import type { ServerConfig } from "../../../lib/config/types.ts";

const FILE = "/etc/webserv/site.conf";

function server(body: string): ServerConfig {
  return parseConfig(`server {\n${body}\n}\n`, FILE).servers[0]!;
}

function sessionAt(s: ServerConfig, path: string): boolean {
  return s.locations.find((l) => l.path === path)!.session;
}

Deno.test("parseConfig() has sessions off, in memory, 30 min idle and 10000 at most by default", () => {
  const s = server("");
  assert.equal(s.session, false);
  assert.equal(sessionAt(s, "/"), false);
  assert.deepEqual(s.sessions, {
    store: null,
    timeout: 30 * 60_000,
    max: 10_000,
    cookieMaxAge: 0,
    cookieSecure: false,
  });
});

Deno.test("parseConfig() inherits `session` from server to location, a location may differ", () => {
  const s = server("session on;\nlocation /a/ { }\nlocation /b/ { session off; }");
  assert.equal(s.session, true);
  assert.equal(sessionAt(s, "/a/"), true);
  assert.equal(sessionAt(s, "/b/"), false);
  const t = server("location /c/ { session ON; }");
  assert.equal(sessionAt(t, "/c/"), true);
  assert.equal(sessionAt(t, "/"), false);
});

Deno.test("parseConfig() reads session_store, session_timeout, session_max and the cookie's", () => {
  const s = server(
    "session_store sessions;\nsession_timeout 1h30m;\nsession_max 50;\n" +
      "session_cookie_max_age 1d;\nsession_cookie_secure on;",
  );
  assert.deepEqual(s.sessions, {
    store: "/etc/webserv/sessions",
    timeout: 90 * 60_000,
    max: 50,
    cookieMaxAge: 86_400,
    cookieSecure: true,
  });
  assert.equal(server("session_store /var/lib/webserv;").sessions.store, "/var/lib/webserv");
  assert.equal(server("session_store memory;").sessions.store, null);
});

/** [directives in a server block (line 2), message] */
const ERRORS: [string, string][] = [
  ["session maybe;", 'invalid value "maybe" in "session" directive, it must be "on" or "off"'],
  ["session;", 'invalid number of arguments in "session" directive'],
  ["session on;\nsession off;", '"session" directive is duplicate'],
  [
    "session_timeout 0;",
    'invalid value "0" in "session_timeout" directive, it must be between 1ms and 365d',
  ],
  ["session_timeout soon;", '"session_timeout" directive invalid value'],
  [
    "session_max 0;",
    'invalid value "0" in "session_max" directive, it must be between 1 and 999999999',
  ],
  ["session_max -1;", '"session_max" directive invalid number'],
  ["session_max lots;", '"session_max" directive invalid number'],
  ["session_cookie_max_age x;", '"session_cookie_max_age" directive invalid value'],
  [
    "session_cookie_secure maybe;",
    'invalid value "maybe" in "session_cookie_secure" directive, it must be "on" or "off"',
  ],
  ["session_store a b;", 'invalid number of arguments in "session_store" directive'],
  ["location / { session_store /x; }", '"session_store" directive is not allowed here'],
  ["location / { session_timeout 5m; }", '"session_timeout" directive is not allowed here'],
  ["location / { session_max 5; }", '"session_max" directive is not allowed here'],
];

for (const [body, message] of ERRORS) {
  Deno.test(`parseConfig() refuses ${JSON.stringify(body)}`, () => {
    assert.throws(() => server(body), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
      assert.match(e.message, new RegExp(`^${FILE}:\\d+: ${escape(message)}$`));
      return true;
    });
  });
}

Deno.test("parseConfig() lets `session` stand at the top level, for every server", () => {
  const config = parseConfig("session on;\nserver {}\nserver { session off; }\n", FILE);
  assert.deepEqual(config.servers.map((s) => s.session), [true, false]);
  assert.throws(
    () => parseConfig("session_store /s;\nserver {}\n", FILE),
    { message: `${FILE}:1: "session_store" directive is not allowed here` },
  );
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
