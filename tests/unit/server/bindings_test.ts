import assert from "node:assert/strict";
import type { Listen } from "../../../lib/config/types.ts";
import { bindings } from "../../../lib/server/bindings.ts";
import { testServer } from "../_fixtures.ts";

function server(name: string, ...listen: string[]) {
  const addrs: Listen[] = listen.map((text) => {
    const [, host, port, flag] = /^(.*):(\d+)( default_server)?$/.exec(text)!;
    return { host: host!, port: Number(port), defaultServer: flag !== undefined, ssl: false };
  });
  return testServer(undefined, { serverNames: [name], listen: addrs });
}

/** Each binding as "host:port → names" (and its specific addresses as "@host → names"). */
function describe(servers: ReturnType<typeof server>[]): string[] {
  return bindings(servers).map((b) => {
    const names = (list: typeof servers) => list.map((s) => s.serverNames[0]).join(",");
    const specific = [...b.byAddress].map(([host, list]) => ` @${host} → ${names(list)}`).join("");
    return `${b.addr.host}:${b.addr.port} → ${names(b.servers)}${specific}`;
  });
}

Deno.test("bindings() groups servers by address, the first (or default_server) as default", () => {
  const table: [string, ReturnType<typeof server>[], string[]][] = [
    ["one server", [server("a", "0.0.0.0:80")], ["0.0.0.0:80 → a"]],
    ["two ports", [server("a", "0.0.0.0:80"), server("b", "0.0.0.0:81")], [
      "0.0.0.0:80 → a",
      "0.0.0.0:81 → b",
    ]],
    ["one port, the first is the default", [
      server("a", "127.0.0.1:80"),
      server("b", "127.0.0.1:80"),
    ], ["127.0.0.1:80 → a,b"]],
    ["default_server comes first", [
      server("a", "127.0.0.1:80"),
      server("b", "127.0.0.1:80 default_server"),
    ], ["127.0.0.1:80 → b,a"]],
    ["a wildcard takes in the specific address of its port", [
      server("a", "0.0.0.0:80"),
      server("b", "127.0.0.1:80"),
      server("c", "127.0.0.1:81"),
    ], ["0.0.0.0:80 → a @127.0.0.1 → b", "127.0.0.1:81 → c"]],
    ["a server on two addresses is in both", [
      server("a", "127.0.0.1:80", "127.0.0.1:81"),
      server("b", "127.0.0.1:81"),
    ], ["127.0.0.1:80 → a", "127.0.0.1:81 → a,b"]],
    ["port 0 is never merged into a wildcard", [
      server("a", "0.0.0.0:0"),
      server("b", "127.0.0.1:0"),
    ], ["0.0.0.0:0 → a", "127.0.0.1:0 → b"]],
  ];
  for (const [name, servers, expected] of table) {
    assert.deepEqual(describe(servers), expected, name);
  }
});
