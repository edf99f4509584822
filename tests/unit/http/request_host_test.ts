import assert from "node:assert/strict";
import type { RequestHead } from "../../../lib/http/request.ts";
import { requestHost } from "../../../lib/http/request_host.ts";

function head(target: string, headers: [string, string][], minor = 1): RequestHead {
  return { method: "GET", target, rawPath: "/", query: "", minor, headers };
}

Deno.test("requestHost() reads, normalises or refuses the host of a request", () => {
  const table: [string, RequestHead, string | null][] = [
    ["a plain name", head("/", [["host", "example.com"]]), "example.com"],
    ["upper case and a port", head("/", [["host", "Example.COM:8080"]]), "example.com"],
    ["a trailing dot", head("/", [["host", "example.com."]]), "example.com"],
    ["an IPv4 address", head("/", [["host", "127.0.0.1:80"]]), "127.0.0.1"],
    ["an IPv6 address", head("/", [["host", "[::1]:8080"]]), "[::1]"],
    ["absolute-form wins over Host", head("http://a.test/x", [["host", "b.test"]]), "a.test"],
    ["an empty Host", head("/", [["host", ""]]), ""],
    ["HTTP/1.1 without Host", head("/", []), null],
    ["HTTP/1.0 without Host", head("/", [], 0), ""],
    ["two Host lines", head("/", [["host", "a"], ["host", "a"]]), null],
    ["a path in Host", head("/", [["host", "a/b"]]), null],
    ["userinfo in Host", head("/", [["host", "u@a"]]), null],
    ["a space in Host", head("/", [["host", "a b"]]), null],
    ["a bad port", head("/", [["host", "a:x"]]), null],
  ];
  for (const [name, h, expected] of table) assert.equal(requestHost(h), expected, name);
});
