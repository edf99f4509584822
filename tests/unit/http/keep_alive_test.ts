import assert from "node:assert/strict";
import { wantsKeepAlive } from "../../../lib/http/keep_alive.ts";
import type { RequestHead } from "../../../lib/http/request.ts";

function head(minor: number, connection?: string): RequestHead {
  const headers: [string, string][] = connection === undefined ? [] : [["connection", connection]];
  return { method: "GET", target: "/", rawPath: "/", query: "", minor, headers };
}

Deno.test("wantsKeepAlive() follows the version and the Connection tokens", () => {
  const table: [string, RequestHead, boolean][] = [
    ["HTTP/1.1 by default", head(1), true],
    ["HTTP/1.1 with close", head(1, "close"), false],
    ["HTTP/1.1 with Close among tokens", head(1, "Upgrade, Close"), false],
    ["HTTP/1.0 by default", head(0), false],
    ["HTTP/1.0 with keep-alive", head(0, "Keep-Alive"), true],
    ["HTTP/1.0 with keep-alive and close", head(0, "keep-alive, close"), false],
  ];
  for (const [name, h, expected] of table) assert.equal(wantsKeepAlive(h), expected, name);
});
