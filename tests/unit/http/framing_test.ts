import assert from "node:assert/strict";
import { bodyFraming } from "../../../lib/http/framing.ts";
import type { BodyFraming, RequestHead } from "../../../lib/http/request.ts";

function head(headers: [string, string][], minor = 1): RequestHead {
  return { method: "POST", target: "/", rawPath: "/", query: "", minor, headers };
}

const NONE: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };

const CASES: {
  name: string;
  headers: [string, string][];
  minor?: number;
  expected: BodyFraming | number;
}[] = [
  { name: "no framing header", headers: [["host", "h"]], expected: NONE },
  { name: "Content-Length", headers: [["content-length", "42"]], expected: length(42) },
  { name: "Content-Length 0", headers: [["content-length", "0"]], expected: NONE },
  {
    name: "Content-Length with leading zeros",
    headers: [["content-length", "007"]],
    expected: length(7),
  },
  {
    name: "Content-Length MAX_SAFE_INTEGER",
    headers: [["content-length", "9007199254740991"]],
    expected: length(9007199254740991),
  },
  {
    name: "Content-Length over MAX_SAFE_INTEGER",
    headers: [["content-length", "9007199254740992"]],
    expected: 400,
  },
  { name: "a huge Content-Length", headers: [["content-length", "9".repeat(400)]], expected: 400 },
  {
    name: "Content-Length on HTTP/1.0",
    headers: [["content-length", "3"]],
    minor: 0,
    expected: length(3),
  },
  {
    name: "duplicate identical Content-Length",
    headers: [["content-length", "5"], ["content-length", "5"]],
    expected: length(5),
  },
  {
    name: "an identical Content-Length list",
    headers: [["content-length", "5, 5,5"]],
    expected: length(5),
  },
  {
    name: "duplicate different Content-Length",
    headers: [["content-length", "5"], ["content-length", "6"]],
    expected: 400,
  },
  { name: "a different Content-Length list", headers: [["content-length", "5, 6"]], expected: 400 },
  {
    name: "a Content-Length list with an empty element",
    headers: [["content-length", "5,"]],
    expected: 400,
  },
  { name: "an empty Content-Length", headers: [["content-length", ""]], expected: 400 },
  { name: "Content-Length +5", headers: [["content-length", "+5"]], expected: 400 },
  { name: "Content-Length -1", headers: [["content-length", "-1"]], expected: 400 },
  { name: "Content-Length 0x5", headers: [["content-length", "0x5"]], expected: 400 },
  { name: "Content-Length 5 5", headers: [["content-length", "5 5"]], expected: 400 },
  { name: "Content-Length 5.0", headers: [["content-length", "5.0"]], expected: 400 },
  { name: "Content-Length 1e3", headers: [["content-length", "1e3"]], expected: 400 },
  {
    name: "Content-Length with a tab inside",
    headers: [["content-length", "5\t"]],
    expected: length(5),
  },
  {
    name: "Content-Length with a latin1 NBSP",
    headers: [["content-length", "5\xa0"]],
    expected: 400,
  },
  {
    name: "Transfer-Encoding chunked",
    headers: [["transfer-encoding", "chunked"]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding Chunked",
    headers: [["transfer-encoding", "Chunked"]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding CHUNKED",
    headers: [["transfer-encoding", "CHUNKED"]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding 'chunked '",
    headers: [["transfer-encoding", "chunked "]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding ' chunked'",
    headers: [["transfer-encoding", " chunked"]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding 'chunked,'",
    headers: [["transfer-encoding", "chunked,"]],
    expected: CHUNKED,
  },
  {
    name: "Transfer-Encoding with a latin1 NBSP",
    headers: [["transfer-encoding", "chunked\xa0"]],
    expected: 501,
  },
  {
    name: "Transfer-Encoding xchunked",
    headers: [["transfer-encoding", "xchunked"]],
    expected: 501,
  },
  { name: "Transfer-Encoding gzip", headers: [["transfer-encoding", "gzip"]], expected: 501 },
  {
    name: "Transfer-Encoding identity",
    headers: [["transfer-encoding", "identity"]],
    expected: 501,
  },
  {
    name: "Transfer-Encoding gzip, chunked",
    headers: [["transfer-encoding", "gzip, chunked"]],
    expected: 501,
  },
  {
    name: "Transfer-Encoding gzip and chunked on two lines",
    headers: [["transfer-encoding", "gzip"], ["transfer-encoding", "chunked"]],
    expected: 501,
  },
  {
    name: "Transfer-Encoding chunked;x=1",
    headers: [["transfer-encoding", "chunked;x=1"]],
    expected: 501,
  },
  {
    name: "Transfer-Encoding chunked, identity",
    headers: [["transfer-encoding", "chunked, identity"]],
    expected: 400,
  },
  {
    name: "Transfer-Encoding chunked, gzip",
    headers: [["transfer-encoding", "chunked, gzip"]],
    expected: 400,
  },
  {
    name: "Transfer-Encoding chunked, chunked",
    headers: [["transfer-encoding", "chunked, chunked"]],
    expected: 400,
  },
  {
    name: "Transfer-Encoding chunked twice on two lines",
    headers: [["transfer-encoding", "chunked"], ["transfer-encoding", "chunked"]],
    expected: 400,
  },
  { name: "an empty Transfer-Encoding", headers: [["transfer-encoding", ""]], expected: 400 },
  {
    name: "Transfer-Encoding on HTTP/1.0",
    headers: [["transfer-encoding", "chunked"]],
    minor: 0,
    expected: 400,
  },
  {
    name: "Content-Length and Transfer-Encoding",
    headers: [["content-length", "5"], ["transfer-encoding", "chunked"]],
    expected: 400,
  },
  {
    name: "Transfer-Encoding and Content-Length",
    headers: [["transfer-encoding", "chunked"], ["content-length", "0"]],
    expected: 400,
  },
];

function length(n: number): BodyFraming {
  return { kind: "length", length: n };
}

for (const { name, headers, minor, expected } of CASES) {
  const what = typeof expected === "number" ? `${expected}` : expected.kind;
  Deno.test(`bodyFraming() answers ${what} for ${name}`, () => {
    const result = bodyFraming(head(headers, minor));
    if (typeof expected !== "number") {
      assert.deepEqual(result, expected);
      return;
    }
    assert.equal(result.kind, "error");
    assert.equal(result.kind === "error" && result.status, expected);
    assert.ok(result.kind === "error" && result.message.length > 0);
  });
}
