import assert from "node:assert/strict";
import {
  type CgiHead,
  CgiOutputParser,
  type CgiParseResult,
} from "../../../lib/cgi/output_parser.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds the bytes whole or one byte at a time; returns the final result with all the body bytes. */
function feed(bytes: Uint8Array, perByte: boolean, max?: number): CgiParseResult {
  const parser = new CgiOutputParser(max);
  if (!perByte) return parser.push(bytes);
  let result: CgiParseResult = { kind: "incomplete" };
  for (let i = 0; i < bytes.length; i++) {
    result = parser.push(bytes.subarray(i, i + 1));
    if (result.kind !== "incomplete") {
      // The body bytes after the block come in later pushes: they belong to the caller.
      if (result.kind === "complete") {
        const rest = new Uint8Array([...result.rest, ...bytes.subarray(i + 1)]);
        return { ...result, rest };
      }
      return result;
    }
  }
  return result;
}

/** [description, raw output, expected head, expected body] */
const ok: [string, string, CgiHead, string][] = [
  [
    "a document with LF lines",
    "Content-Type: text/html\n\n<p>hi</p>",
    { status: 200, headers: [["Content-Type", "text/html"]] },
    "<p>hi</p>",
  ],
  [
    "a document with CRLF lines",
    "Content-Type: text/html\r\nX-A: 1\r\n\r\nbody\r\n\r\nmore",
    { status: 200, headers: [["Content-Type", "text/html"], ["X-A", "1"]] },
    "body\r\n\r\nmore",
  ],
  [
    "a Status line (removed from the headers)",
    "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope",
    { status: 404, headers: [["Content-Type", "text/plain"]] },
    "nope",
  ],
  [
    "a Status without reason phrase, any case",
    "status: 201\r\nContent-Type: text/plain\r\n\r\n",
    { status: 201, headers: [["Content-Type", "text/plain"]] },
    "",
  ],
  [
    "a client redirect (absolute URL, no Status) as 302",
    "Location: http://example.org/x\r\n\r\n",
    { status: 302, headers: [["Location", "http://example.org/x"]] },
    "",
  ],
  [
    "a Location with a Status kept as is",
    "Status: 301 Moved\r\nLocation: /new\r\n\r\n",
    { status: 301, headers: [["Location", "/new"]] },
    "",
  ],
  [
    "a local redirect (path, no Status)",
    "Location: /other?q=1\r\n\r\n",
    { status: 200, headers: [], internalRedirect: "/other?q=1" },
    "",
  ],
  [
    "a protocol-relative Location as a client redirect",
    "Location: //example.org/x\r\n\r\n",
    { status: 302, headers: [["Location", "//example.org/x"]] },
    "",
  ],
  [
    "repeated Set-Cookie kept in order",
    "Set-Cookie: a=1\r\nContent-Type: text/plain\r\nSet-Cookie: b=2\r\n\r\n",
    {
      status: 200,
      headers: [["Set-Cookie", "a=1"], ["Content-Type", "text/plain"], ["Set-Cookie", "b=2"]],
    },
    "",
  ],
  [
    "no Content-Type: text/plain added",
    "X-A: 1\n\nraw",
    { status: 200, headers: [["X-A", "1"], ["Content-Type", "text/plain"]] },
    "raw",
  ],
  [
    "no Content-Type added to a 204",
    "Status: 204 No Content\n\n",
    { status: 204, headers: [] },
    "",
  ],
  [
    "value whitespace trimmed, empty value kept",
    "Content-Type:text/plain  \r\nX-Empty:\r\n\r\n",
    { status: 200, headers: [["Content-Type", "text/plain"], ["X-Empty", ""]] },
    "",
  ],
  [
    "Content-Length passed through, an identical repeat sent once",
    "Content-Type: text/plain\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok",
    { status: 200, headers: [["Content-Type", "text/plain"], ["Content-Length", "2"]] },
    "ok",
  ],
  [
    "hop-by-hop fields dropped",
    "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    { status: 200, headers: [["Content-Type", "text/plain"]] },
    "",
  ],
  [
    "UTF-8 in a value",
    "Content-Type: text/plain\r\nX-Name: caf\u00e9\r\n\r\n",
    { status: 200, headers: [["Content-Type", "text/plain"], ["X-Name", "caf\u00e9"]] },
    "",
  ],
];

/** [description, raw output] */
const bad: [string, string][] = [
  ["a line without a colon", "this is not a header\r\n\r\n"],
  ["a name with a space", "Bad Name: x\r\n\r\n"],
  ["an empty name", ": x\r\n\r\n"],
  ["a folded continuation line", "X-A: 1\r\n  more\r\n\r\n"],
  ["a Status that is not a number", "Status: abc\r\nContent-Type: text/plain\r\n\r\n"],
  ["a Status out of range", "Status: 600 Nope\r\nContent-Type: text/plain\r\n\r\n"],
  ["a Status with four digits", "Status: 2000\r\nContent-Type: text/plain\r\n\r\n"],
  ["two Status lines", "Status: 200\r\nStatus: 404\r\nContent-Type: text/plain\r\n\r\n"],
  ["a Content-Length that is not a number", "Content-Length: 1x\r\n\r\n"],
  ["conflicting Content-Length values", "Content-Length: 1\r\nContent-Length: 2\r\n\r\n"],
  ["no field at all", "\r\nbody"],
];

for (const perByte of [false, true]) {
  const how = perByte ? "byte by byte" : "whole";
  for (const [description, raw, head, body] of ok) {
    Deno.test(`CgiOutputParser parses ${description} (${how})`, () => {
      const result = feed(enc.encode(raw), perByte);
      assert.equal(result.kind, "complete", description);
      if (result.kind !== "complete") return;
      assert.deepEqual(result.head, head);
      assert.equal(dec.decode(result.rest), body);
    });
  }
  for (const [description, raw] of bad) {
    Deno.test(`CgiOutputParser rejects ${description} with 502 (${how})`, () => {
      const result = feed(enc.encode(raw), perByte);
      assert.equal(result.kind, "error", description);
      if (result.kind === "error") assert.equal(result.status, 502);
    });
  }
}

Deno.test("CgiOutputParser returns incomplete for every prefix of a valid block", () => {
  const raw = enc.encode("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  for (let n = 0; n < raw.length; n++) {
    const result = new CgiOutputParser().push(raw.subarray(0, n));
    assert.equal(result.kind, "incomplete", `prefix of ${n} bytes`);
  }
});

Deno.test("CgiOutputParser rejects a header block over its bound with 502", () => {
  const long = enc.encode("X-Long: " + "a".repeat(200) + "\r\n");
  const parser = new CgiOutputParser(1024);
  let result: CgiParseResult = { kind: "incomplete" };
  for (let i = 0; i < 10 && result.kind === "incomplete"; i++) result = parser.push(long);
  assert.equal(result.kind, "error");
  if (result.kind === "error") assert.equal(result.status, 502);
});

Deno.test("CgiOutputParser accepts a block that ends exactly at its bound", () => {
  const raw = enc.encode("Content-Type: text/plain\r\n\r\n");
  const result = new CgiOutputParser(raw.length).push(
    new Uint8Array([...raw, ...enc.encode("body")]),
  );
  assert.equal(result.kind, "complete");
  if (result.kind === "complete") assert.equal(dec.decode(result.rest), "body");
});

Deno.test("CgiOutputParser copies the body bytes out of the caller's chunk", () => {
  const chunk = enc.encode("Content-Type: text/plain\r\n\r\nabc");
  const result = new CgiOutputParser().push(chunk);
  chunk.fill(0);
  assert.equal(result.kind, "complete");
  if (result.kind === "complete") assert.equal(dec.decode(result.rest), "abc");
});
