/** The session directives: session, session_store, session_timeout, session_max. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/load.ts";
import type { ServerConfig } from "../../lib/config/types.ts";

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
  assert.equal(s.sessionStore, null);
  assert.equal(s.sessionTimeout, 30 * 60_000);
  assert.equal(s.sessionMax, 10_000);
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

Deno.test("parseConfig() reads session_store, session_timeout and session_max", () => {
  const s = server("session_store sessions;\nsession_timeout 1h30m;\nsession_max 50;");
  assert.equal(s.sessionStore, "/etc/webserv/sessions");
  assert.equal(s.sessionTimeout, 90 * 60_000);
  assert.equal(s.sessionMax, 50);
  assert.equal(server("session_store /var/lib/webserv;").sessionStore, "/var/lib/webserv");
  assert.equal(server("session_store memory;").sessionStore, null);
});

/** [directives in a server block (line 2), message] */
const ERRORS: [string, string][] = [
  ["session maybe;", 'invalid value "maybe" in "session" directive, it must be "on" or "off"'],
  ["session;", 'invalid number of arguments in "session" directive'],
  ["session on;\nsession off;", '"session" directive is duplicate'],
  ["session_timeout 0;", '"session_timeout" directive invalid value'],
  ["session_timeout soon;", '"session_timeout" directive invalid value'],
  ["session_max 0;", 'invalid value "0" in "session_max" directive'],
  ["session_max -1;", 'invalid value "-1" in "session_max" directive'],
  ["session_max lots;", 'invalid value "lots" in "session_max" directive'],
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

Deno.test("parseConfig() refuses `session` at the top level", () => {
  assert.throws(
    () => parseConfig("session on;\nserver {}\n", FILE),
    { message: `${FILE}:1: "session" directive is not allowed here` },
  );
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
