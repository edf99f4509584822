import assert from "node:assert/strict";
import type { Response } from "../../../lib/http/response.ts";
import { frameResponse, type ResponseFraming } from "../../../lib/http/response_framing.ts";

const bytes = new Uint8Array(5);
async function* nothing(): AsyncGenerator<Uint8Array> {}
const stream: Response["body"] = { kind: "stream", chunks: nothing() };

function res(status: number, body: Response["body"], headers: [string, string][] = []): Response {
  return { status, headers, body };
}

Deno.test("frameResponse() decides the framing before anything is written", () => {
  const table: [string, Response, number, boolean, ResponseFraming][] = [
    ["bytes: their length", res(200, bytes), 1, false, { kind: "length", length: 5 }],
    ["no body: length 0", res(200, null), 1, false, { kind: "length", length: 0 }],
    ["a declared length wins", res(200, stream, [["Content-Length", "9"]]), 1, false, {
      kind: "length",
      length: 9,
    }],
    ["a stream on HTTP/1.1: chunked", res(200, stream), 1, false, { kind: "chunked" }],
    ["a stream on HTTP/1.0: ends by closing", res(200, stream), 0, false, { kind: "close" }],
    ["HEAD announces the length", res(200, bytes), 1, true, { kind: "none", contentLength: 5 }],
    ["HEAD of a stream", res(200, stream), 1, true, { kind: "none", contentLength: null }],
    ["204: nothing", res(204, bytes), 1, false, { kind: "none", contentLength: null }],
    ["304: nothing", res(304, null), 1, false, { kind: "none", contentLength: null }],
    ["1xx: nothing", res(101, null), 1, false, { kind: "none", contentLength: null }],
  ];
  for (const [name, response, minor, head, expected] of table) {
    assert.deepEqual(frameResponse(response, minor, head), expected, name);
  }
});
