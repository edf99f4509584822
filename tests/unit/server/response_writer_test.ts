import assert from "node:assert/strict";
import type { Response } from "../../../lib/http/response.ts";
import { frameResponse } from "../../../lib/http/response_framing.ts";
import { writeResponse } from "../../../lib/server/response_writer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function written(res: Response, minor = 1, head = false, keepAlive = true) {
  const writes: string[] = [];
  const bytes = await writeResponse(
    (b) => {
      writes.push(dec.decode(b));
      return Promise.resolve();
    },
    res,
    frameResponse(res, minor, head),
    { keepAlive, minor, serverTokens: false },
  );
  const text = writes.join("");
  assert.equal(bytes.total, new TextEncoder().encode(text).length);
  return { writes, bytes: bytes.body, text };
}

function fields(text: string): string[] {
  return text.split("\r\n\r\n")[0]!.split("\r\n").slice(1).filter((l) =>
    !/^(Date|Server):/.test(l)
  );
}

Deno.test("writeResponse() joins the head and a small body in one write", async () => {
  const res: Response = {
    status: 200,
    headers: [["Content-Type", "text/plain"]],
    body: enc.encode("hi"),
  };
  const { writes, bytes, text } = await written(res);
  assert.equal(writes.length, 1);
  assert.equal(bytes, 2);
  assert.match(text, /^HTTP\/1\.1 200 OK\r\nServer: webserv\r\nDate: [^\r]+ GMT\r\n/);
  const tokens = await writeResponse(() => Promise.resolve(), res, frameResponse(res, 1, false), {
    keepAlive: true,
    minor: 1,
    serverTokens: true,
  });
  assert.equal(tokens.body, 2);
  assert.deepEqual(fields(text), ["Content-Type: text/plain", "Content-Length: 2"]);
  assert.ok(text.endsWith("\r\n\r\nhi"));
});

Deno.test("writeResponse() writes the framing fields itself and drops unsafe values", async () => {
  const res: Response = {
    status: 200,
    headers: [
      ["Content-Length", "999"],
      ["Transfer-Encoding", "gzip"],
      ["X-Bad", "a\r\nInjected: 1"],
      ["X-Good", "ok"],
    ],
    body: enc.encode("abc"),
  };
  // The length of bytes is theirs, whatever the handler declared; its framing fields are dropped.
  const { text } = await written(res);
  assert.deepEqual(fields(text), ["X-Good: ok", "Content-Length: 3"]);
  assert.doesNotMatch(text, /Injected/);
});

Deno.test("writeResponse() chunks a stream on HTTP/1.1 and says when it closes", async () => {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield enc.encode("ab");
    yield enc.encode("");
    yield enc.encode("cde");
  }
  let closed = 0;
  const res: Response = {
    status: 200,
    headers: [],
    body: { kind: "stream", chunks: chunks(), close: () => closed++ },
  };
  const { text, bytes } = await written(res, 1, false, false);
  assert.deepEqual(fields(text), ["Transfer-Encoding: chunked", "Connection: close"]);
  assert.ok(text.endsWith("\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"));
  assert.equal(bytes, 5);
  assert.equal(closed, 1);
});

Deno.test("writeResponse() sends the head only for HEAD and bodiless statuses", async () => {
  const res: Response = { status: 200, headers: [], body: enc.encode("hello") };
  const head = await written(res, 1, true);
  assert.deepEqual(fields(head.text), ["Content-Length: 5"]);
  assert.ok(head.text.endsWith("\r\n\r\n"));
  assert.equal(head.bytes, 0);
  const notModified = await written({ status: 304, headers: [["ETag", '"x"']], body: null });
  assert.deepEqual(fields(notModified.text), ['ETag: "x"']);
  const old = await written({ status: 204, headers: [], body: null }, 0);
  assert.deepEqual(fields(old.text), ["Connection: keep-alive"]);
});
