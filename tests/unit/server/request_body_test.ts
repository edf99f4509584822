import assert from "node:assert/strict";
import { HttpError } from "../../../lib/http/errors.ts";
import type { BodyFraming } from "../../../lib/http/request.ts";
import { InputBuffer } from "../../../lib/io/input_buffer.ts";
import { type BodySource, RequestBody } from "../../../lib/server/request_body.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A body source fed from `chunks` (then the end of the stream), recording what it writes. */
function source(chunks: string[]): BodySource & { written: string[] } {
  const queue = chunks.map((c) => enc.encode(c));
  const input = new InputBuffer(
    (into) => {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      into.set(next);
      return Promise.resolve(next.length);
    },
    1024,
    1024,
  );
  const written: string[] = [];
  return {
    input,
    written,
    fillBody: async () => (await input.fill()) !== null,
    writeAll: (bytes) => {
      written.push(dec.decode(bytes));
      return Promise.resolve();
    },
  };
}

async function readAll(body: RequestBody): Promise<string> {
  let text = "";
  for (let piece = await body.read(); piece !== null; piece = await body.read()) {
    text += dec.decode(piece);
  }
  return text;
}

const length = (n: number): BodyFraming => ({ kind: "length", length: n });

Deno.test("RequestBody reads a Content-Length body across reads, and not past it", async () => {
  const s = source(["hel", "lo wor", "ldGET /next"]);
  const body = new RequestBody(s, length(11), 0, false);
  assert.equal(await readAll(body), "hello world");
  assert.equal(body.done, true);
  assert.equal(dec.decode(s.input.buf.subarray(s.input.start, s.input.end)), "GET /next");
});

Deno.test("RequestBody decodes a chunked body and its trailers", async () => {
  const s = source(["5\r\nhel", "lo\r\n6;x=y\r\n world\r\n0\r\nT: v\r\n\r\nrest"]);
  const body = new RequestBody(s, { kind: "chunked" }, 0, false);
  assert.equal(body.length, null);
  assert.equal(await readAll(body), "hello world");
  assert.equal(dec.decode(s.input.buf.subarray(s.input.start, s.input.end)), "rest");
});

Deno.test("RequestBody throws 413 past client_max_body_size and 400 when the client leaves", async () => {
  const big = new RequestBody(source(["0123456789"]), length(10), 4, false);
  await assert.rejects(readAll(big), (e) => e instanceof HttpError && e.status === 413);
  const cut = new RequestBody(source(["abc"]), length(10), 0, false);
  await assert.rejects(readAll(cut), (e) => e instanceof HttpError && e.status === 400);
});

Deno.test("RequestBody sends 100 Continue before the first read, once", async () => {
  const s = source(["abc"]);
  const body = new RequestBody(s, length(3), 0, true);
  assert.equal(body.left(1024), "unread", "the client waits for 100 Continue: the rest is unread");
  assert.equal(await readAll(body), "abc");
  assert.deepEqual(s.written, ["HTTP/1.1 100 Continue\r\n\r\n"]);
});

Deno.test("RequestBody.left() tells the keep-alive rule what remains", async () => {
  assert.equal(new RequestBody(source([]), { kind: "none" }, 0, false).left(10), "none");
  assert.equal(new RequestBody(source([]), length(5), 0, false).left(10), "discardable");
  assert.equal(new RequestBody(source([]), length(50), 0, false).left(10), "unread");
  assert.equal(new RequestBody(source([]), { kind: "chunked" }, 0, false).left(10), "discardable");
  const small = new RequestBody(source(["abcde"]), length(5), 0, false);
  assert.equal(await small.discard(10), true);
  assert.equal(small.left(10), "none");
  const large = new RequestBody(source(["abcdefghijkl"]), length(12), 0, false);
  assert.equal(await large.discard(10), false);
});
