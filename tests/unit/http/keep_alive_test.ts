import assert from "node:assert/strict";
import {
  keepAliveAfter,
  type KeepAliveFacts,
  wantsKeepAlive,
} from "../../../lib/http/keep_alive.ts";
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

Deno.test("keepAliveAfter() keeps a connection open only when every fact allows it", () => {
  const base: KeepAliveFacts = {
    head: head(1),
    another: true,
    keepaliveTimeout: 75_000,
    draining: false,
    status: 200,
    bodyLeft: "none",
    closeDelimited: false,
  };
  const table: [string, Partial<KeepAliveFacts>, boolean][] = [
    ["an ordinary HTTP/1.1 answer", {}, true],
    ["a 404 and a 405 keep it", { status: 404 }, true],
    ["a rest of body that can be dropped", { bodyLeft: "discardable" }, true],
    ["HTTP/1.0 asking for keep-alive", { head: head(0, "keep-alive") }, true],
    ["no parsable head", { head: null }, false],
    ["Connection: close", { head: head(1, "close") }, false],
    ["HTTP/1.0 by default", { head: head(0) }, false],
    ["keepalive_requests reached", { another: false }, false],
    ["keepalive_timeout 0", { keepaliveTimeout: 0 }, false],
    ["shutting down", { draining: true }, false],
    ["400: the stream is in doubt", { status: 400 }, false],
    ["408", { status: 408 }, false],
    ["413: a body too large to read", { status: 413 }, false],
    ["414 and 431: a head over the limits", { status: 431 }, false],
    ["501: an unknown method or coding", { status: 501 }, false],
    ["a body left unread (or 100 Continue owed)", { bodyLeft: "unread" }, false],
    ["a close-delimited response", { closeDelimited: true }, false],
  ];
  for (const [name, facts, expected] of table) {
    assert.equal(keepAliveAfter({ ...base, ...facts }), expected, name);
  }
});
