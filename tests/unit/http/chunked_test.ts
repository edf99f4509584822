import assert from "node:assert/strict";
import { ChunkedDecoder, type ChunkedLimits } from "../../../lib/http/chunked.ts";
import { HttpError } from "../../../lib/http/errors.ts";

/** The bytes of a string, one per UTF-16 unit (latin1). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function text(parts: Uint8Array[]): string {
  return parts.map((part) => String.fromCharCode(...part)).join("");
}

interface Decoded {
  data: string;
  consumed: number;
  done: boolean;
}

/** Decodes `raw` in slices of `step` bytes (Infinity: all at once), until done or the end. */
function decodeInSteps(raw: string, step: number, limits?: ChunkedLimits): Decoded {
  const input = bytes(raw);
  const decoder = new ChunkedDecoder(limits);
  const parts: Uint8Array[] = [];
  let consumed = 0;
  for (let start = 0; start < input.length && !decoder.done; start += step) {
    const end = Math.min(start + step, input.length);
    const result = decoder.decode(input, start, end);
    assert.equal(result.done, decoder.done);
    if (!result.done) assert.equal(result.consumed, end - start, "all bytes used until done");
    parts.push(...result.data);
    consumed += result.consumed;
  }
  return { data: text(parts), consumed, done: decoder.done };
}

const VALID: { name: string; raw: string; data: string; rest?: string }[] = [
  { name: "a single chunk", raw: "5\r\nhello\r\n0\r\n\r\n", data: "hello" },
  { name: "no chunk but the last", raw: "0\r\n\r\n", data: "" },
  {
    name: "several chunks",
    raw: "5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n",
    data: "hello world!",
  },
  {
    name: "upper- and lower-case hex",
    raw: "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
    data: "0123456789abcdefghij",
  },
  { name: "leading zeros in a size", raw: "0005\r\nhello\r\n000\r\n\r\n", data: "hello" },
  { name: "bare LF line endings", raw: "5\nhello\n0\n\n", data: "hello" },
  {
    name: "chunk extensions",
    raw: '5;name=value;x="q;uoted"\r\nhello\r\n0;last\r\n\r\n',
    data: "hello",
  },
  {
    name: "whitespace before an extension",
    raw: "5 \t;a=b\r\nhello\r\n0 ;x\r\n\r\n",
    data: "hello",
  },
  {
    name: "trailer fields",
    raw: "5\r\nhello\r\n0\r\nChecksum: abc\r\nX-Other: \t1\r\n\r\n",
    data: "hello",
  },
  { name: "trailer fields with bare LF", raw: "5\r\nhello\r\n0\nA: 1\nB: 2\n\n", data: "hello" },
  {
    name: "data holding CRLF and binary bytes",
    raw: "6\r\n\r\n\0\xff\r\n\r\n0\r\n\r\n",
    data: "\r\n\0\xff\r\n",
  },
  {
    name: "a pipelined request after the body",
    raw: "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    data: "abc",
    rest: "GET / HTTP/1.1\r\n\r\n",
  },
];

for (const { name, raw, data, rest = "" } of VALID) {
  for (const [how, step] of [["whole", Infinity], ["byte by byte", 1], ["in 3-byte slices", 3]]) {
    Deno.test(`ChunkedDecoder.decode() decodes ${name} fed ${how}`, () => {
      assert.deepEqual(decodeInSteps(raw, step as number), {
        data,
        consumed: raw.length - rest.length,
        done: true,
      });
    });
  }
}

const INVALID: { name: string; raw: string; limits?: ChunkedLimits }[] = [
  { name: "an empty size", raw: "\r\nhello\r\n0\r\n\r\n" },
  { name: "an invalid hex digit", raw: "5g\r\nhello\r\n0\r\n\r\n" },
  { name: "a sign", raw: "+5\r\nhello\r\n0\r\n\r\n" },
  { name: "a 0x prefix", raw: "0x5\r\nhello\r\n0\r\n\r\n" },
  { name: "whitespace before the size", raw: " 5\r\nhello\r\n0\r\n\r\n" },
  { name: "whitespace after the size", raw: "5 \r\nhello\r\n0\r\n\r\n" },
  { name: "whitespace inside the size", raw: "5 5\r\nhello\r\n0\r\n\r\n" },
  { name: "a size overflow", raw: "1ffffffffffffffff\r\n" },
  { name: "a size just over MAX_SAFE_INTEGER", raw: "20000000000000\r\n" },
  { name: "a bare CR after the size", raw: "5\rhello\r\n0\r\n\r\n" },
  { name: "a control in an extension", raw: "5;a\0\r\nhello\r\n0\r\n\r\n" },
  { name: "data longer than the size", raw: "5\r\nhello!\r\n0\r\n\r\n" },
  { name: "a bare CR after data", raw: "5\r\nhello\rX\r\n0\r\n\r\n" },
  { name: "a bare CR in a trailer", raw: "0\r\nA: 1\rB\r\n\r\n" },
  { name: "a bare CR ending the trailers", raw: "0\r\n\rX" },
  { name: "a control in a trailer", raw: "0\r\nA: \x01\r\n\r\n" },
  {
    name: "a size line over maxLineLength",
    raw: "5;abcdefgh\r\nhello\r\n0\r\n\r\n",
    limits: { maxLineLength: 9 },
  },
  {
    name: "trailers over maxTrailerBytes",
    raw: "0\r\nA: 123\r\n\r\n",
    limits: { maxTrailerBytes: 9 },
  },
];

for (const { name, raw, limits } of INVALID) {
  for (const [how, step] of [["whole", Infinity], ["byte by byte", 1]]) {
    Deno.test(`ChunkedDecoder.decode() throws 400 for ${name} fed ${how}`, () => {
      assert.throws(
        () => decodeInSteps(raw, step as number, limits),
        (e: unknown) => e instanceof HttpError && e.status === 400 && e.message.length > 0,
      );
    });
  }
}

Deno.test("ChunkedDecoder.decode() accepts lines exactly at the limits", () => {
  const raw = "5;abcdefgh\r\nhello\r\n0\r\nA: 1234\r\n\r\n";
  const limits = { maxLineLength: 10, maxTrailerBytes: 11 };
  assert.deepEqual(decodeInSteps(raw, Infinity, limits), {
    data: "hello",
    consumed: raw.length,
    done: true,
  });
  assert.deepEqual(decodeInSteps(raw, 1, limits).data, "hello");
});

Deno.test("ChunkedDecoder.decode() accepts a size of MAX_SAFE_INTEGER", () => {
  const decoder = new ChunkedDecoder();
  const result = decoder.decode(bytes("1fffffffffffff\r\nabc"), 0, 19);
  assert.deepEqual(text(result.data), "abc");
  assert.equal(result.done, false);
});

Deno.test("ChunkedDecoder.decode() returns views of the input, not copies", () => {
  const input = bytes("xx5\r\nhello\r\n0\r\n\r\n");
  const result = new ChunkedDecoder().decode(input, 2, input.length);
  assert.equal(result.data.length, 1);
  assert.equal(result.data[0]!.buffer, input.buffer);
  assert.equal(result.data[0]!.byteOffset, 5);
});

Deno.test("ChunkedDecoder.decode() consumes nothing once done", () => {
  const input = bytes("0\r\n\r\nGET");
  const decoder = new ChunkedDecoder();
  assert.equal(decoder.decode(input, 0, input.length).consumed, 5);
  assert.deepEqual(decoder.decode(input, 5, input.length), { consumed: 0, data: [], done: true });
});

Deno.test("ChunkedDecoder.decode() resumes across calls with an empty slice", () => {
  const input = bytes("3\r\nabc\r\n0\r\n\r\n");
  const decoder = new ChunkedDecoder();
  assert.deepEqual(decoder.decode(input, 0, 0), { consumed: 0, data: [], done: false });
  assert.deepEqual(text(decoder.decode(input, 0, 5).data), "ab");
  assert.deepEqual(text(decoder.decode(input, 5, input.length).data), "c");
  assert.equal(decoder.done, true);
});
