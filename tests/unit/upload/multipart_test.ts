import assert from "node:assert/strict";
import { HttpError } from "../../../lib/http/errors.ts";
import { parseContentDisposition } from "../../../lib/upload/content_disposition.ts";
import {
  boundaryFrom,
  MAX_PART_HEADER_BYTES,
  MultipartParser,
} from "../../../lib/upload/multipart.ts";

const B = "XyZ123";
const encoder = new TextEncoder();

interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  /** Data as latin1 text, so that any byte compares exactly. */
  data: string;
}

/** Feeds the chunks and collects whole parts; data is copied as it arrives (events are views). */
function parse(boundary: string, chunks: Uint8Array[]): { parts: Part[]; done: boolean } {
  const parser = new MultipartParser(boundary);
  const parts: Part[] = [];
  let current: Part | null = null;
  let done = false;
  for (const chunk of chunks) {
    for (const event of parser.feed(chunk)) {
      switch (event.type) {
        case "part":
          assert.equal(current, null, "part while another is open");
          current = {
            name: event.name,
            filename: event.filename,
            contentType: event.contentType,
            data: "",
          };
          break;
        case "data":
          assert.notEqual(current, null, "data outside a part");
          assert.ok(event.bytes.length > 0, "empty data event");
          current!.data += String.fromCharCode(...event.bytes);
          break;
        case "partEnd":
          assert.notEqual(current, null, "partEnd outside a part");
          parts.push(current!);
          current = null;
          break;
        case "done":
          done = true;
      }
    }
  }
  parser.end();
  return { parts, done };
}

/** Bytes from text where every char is one byte (latin1), so that tests can hold any byte. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function fileHead(name: string, filename: string, type = "application/octet-stream"): string {
  return `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
    `Content-Type: ${type}\r\n\r\n`;
}

const allBytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

const valid: { name: string; boundary?: string; body: string; parts: Part[] }[] = [
  {
    name: "a field and a file, with preamble and epilogue",
    body: `preamble\r\n--${B}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n` +
      `--${B}\r\n${fileHead("f", "a.txt", "text/plain")}line1\r\nline2\r\n--${B}--\r\nepilogue`,
    parts: [
      { name: "title", filename: null, contentType: null, data: "hello" },
      { name: "f", filename: "a.txt", contentType: "text/plain", data: "line1\r\nline2" },
    ],
  },
  {
    name: "CRLF, dashes and boundary lookalikes inside data",
    body: `--${B}\r\n${fileHead("f", "x.bin")}` +
      `\r\n--\r\n--XyZ12\r\n-\r\r\n--XyZ1--${B}\r\n\r\n--X\r\n` +
      `\r\n--${B}--`,
    parts: [{
      name: "f",
      filename: "x.bin",
      contentType: "application/octet-stream",
      data: `\r\n--\r\n--XyZ12\r\n-\r\r\n--XyZ1--${B}\r\n\r\n--X\r\n`,
    }],
  },
  {
    name: "every byte value in data",
    body: `--${B}\r\n${fileHead("f", "all.bin")}${allBytes}${allBytes}\r\n--${B}--\r\n`,
    parts: [{
      name: "f",
      filename: "all.bin",
      contentType: "application/octet-stream",
      data: allBytes + allBytes,
    }],
  },
  {
    name: "empty part bodies and transport padding after the boundary",
    body: `--${B} \t\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n--${B}\r\n` +
      `Content-Disposition: form-data; name="b"; filename=""\r\n\r\n\r\n--${B}--`,
    parts: [
      { name: "a", filename: null, contentType: null, data: "" },
      { name: "b", filename: "", contentType: null, data: "" },
    ],
  },
  {
    name: "quoted-string escapes and a Windows path",
    body: `--${B}\r\nContent-Disposition: form-data; name="q\\"n"; filename="a\\"b\\\\c.txt"\r\n` +
      `\r\nx\r\n--${B}\r\n` +
      `Content-Disposition: form-data; name=w; filename="C:\\x\\y.txt"\r\n\r\ny\r\n--${B}--`,
    parts: [
      { name: 'q"n', filename: 'a"b\\c.txt', contentType: null, data: "x" },
      { name: "w", filename: "C:\\x\\y.txt", contentType: null, data: "y" },
    ],
  },
  {
    name: "raw UTF-8 and filename* names",
    body: String.fromCharCode(...encoder.encode(
      `--${B}\r\nContent-Disposition: form-data; name="f"; filename="naïve.txt"\r\n\r\n1\r\n` +
        `--${B}\r\nContent-Disposition: form-data; name="g"; filename="fallback.txt"; ` +
        `filename*=UTF-8''na%C3%AFve%20%F0%9F%98%80.txt\r\n\r\n2\r\n--${B}--`,
    )),
    parts: [
      { name: "f", filename: "naïve.txt", contentType: null, data: "1" },
      { name: "g", filename: "naïve 😀.txt", contentType: null, data: "2" },
    ],
  },
  {
    name: "a boundary with spaces and punctuation",
    boundary: "a b'()+_,-./:=?",
    body: '--a b\'()+_,-./:=?\r\nContent-Disposition: form-data; name="x"\r\n\r\n' +
      "--a b'()+_,-./:=\r\n--a b'()+_,-./:=?--",
    parts: [{ name: "x", filename: null, contentType: null, data: "--a b'()+_,-./:=" }],
  },
  {
    name: "many parts",
    body: Array.from(
      { length: 40 },
      (_, i) => `--${B}\r\n${fileHead(`f${i}`, `${i}.txt`)}data ${i}\r\n`,
    ).join("") + `--${B}--\r\n`,
    parts: Array.from({ length: 40 }, (_, i) => ({
      name: `f${i}`,
      filename: `${i}.txt`,
      contentType: "application/octet-stream",
      data: `data ${i}`,
    })),
  },
  {
    name: "no parts at all",
    body: `--${B}--`,
    parts: [],
  },
];

for (const c of valid) {
  const boundary = c.boundary ?? B;
  const body = bytes(c.body);

  Deno.test(`MultipartParser parses "${c.name}" whole`, () => {
    assert.deepEqual(parse(boundary, [body]), { parts: c.parts, done: true });
  });

  Deno.test(`MultipartParser parses "${c.name}" split at every offset`, () => {
    for (let i = 0; i <= body.length; i++) {
      const result = parse(boundary, [body.subarray(0, i), body.subarray(i)]);
      assert.deepEqual(result, { parts: c.parts, done: true }, `split at ${i}`);
    }
  });

  Deno.test(`MultipartParser parses "${c.name}" one byte at a time`, () => {
    const chunks = Array.from(body, (_, i) => body.subarray(i, i + 1));
    assert.deepEqual(parse(boundary, chunks), { parts: c.parts, done: true });
  });
}

Deno.test("MultipartParser parses a body split at every pair of offsets", () => {
  const c = valid[1]!;
  const body = bytes(c.body);
  for (let i = 0; i <= body.length; i++) {
    for (let j = i; j <= body.length; j++) {
      const chunks = [body.subarray(0, i), body.subarray(i, j), body.subarray(j)];
      assert.deepEqual(parse(B, chunks), { parts: c.parts, done: true }, `split at ${i}, ${j}`);
    }
  }
});

Deno.test("MultipartParser data events are views of the fed chunk", () => {
  const data = "x".repeat(1000);
  const chunk = bytes(`--${B}\r\n${fileHead("f", "a")}${data}\r\n--${B}--`);
  const events = new MultipartParser(B).feed(chunk);
  const dataEvents = events.filter((e) => e.type === "data");
  assert.equal(dataEvents.length, 1);
  const view = dataEvents[0]!.bytes;
  assert.equal(view.buffer, chunk.buffer);
  assert.equal(view.length, data.length);
});

Deno.test("MultipartParser passes large data through in pieces of the fed size", () => {
  const parser = new MultipartParser(B);
  parser.feed(bytes(`--${B}\r\n${fileHead("f", "big")}`));
  const piece = new Uint8Array(64 * 1024).fill(0x0d);
  let total = 0;
  for (let i = 0; i < 32; i++) {
    for (const event of parser.feed(piece)) {
      if (event.type === "data") {
        total += event.bytes.length;
        assert.ok(event.bytes.length <= piece.length);
      }
    }
  }
  const tail = parser.feed(bytes(`\r\n--${B}--`));
  for (const event of tail) if (event.type === "data") total += event.bytes.length;
  assert.deepEqual(tail.slice(-2).map((e) => e.type), ["partEnd", "done"]);
  assert.equal(total, 32 * piece.length);
  parser.end();
});

const invalid: { name: string; body: string; message: RegExp; at: "feed" | "end" }[] = [
  {
    name: "missing final boundary",
    body: `--${B}\r\n${fileHead("f", "a")}data\r\n`,
    message: /ends before the closing boundary/,
    at: "end",
  },
  {
    name: "final boundary without its dashes",
    body: `--${B}\r\n${fileHead("f", "a")}data\r\n--${B}\r\n`,
    message: /ends inside a part's headers/,
    at: "end",
  },
  {
    name: "no boundary in the body",
    body: "just some text\r\n",
    message: /No multipart boundary "XyZ123"/,
    at: "end",
  },
  {
    name: "boundary followed by other text",
    body: `--${B}X\r\n`,
    message: /Malformed boundary line/,
    at: "feed",
  },
  {
    name: "boundary followed by a single dash",
    body: `--${B}-\r\n`,
    message: /Malformed boundary line/,
    at: "feed",
  },
  {
    name: "header block too large",
    body: `--${B}\r\nX-Big: ${"a".repeat(MAX_PART_HEADER_BYTES)}\r\n\r\n`,
    message: /Part header block exceeds 16384 bytes/,
    at: "feed",
  },
  {
    name: "part without Content-Disposition",
    body: `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`,
    message: /no Content-Disposition/,
    at: "feed",
  },
  {
    name: "disposition other than form-data",
    body: `--${B}\r\nContent-Disposition: attachment; filename="a"\r\n\r\nx\r\n--${B}--`,
    message: /"attachment" is not form-data/,
    at: "feed",
  },
  {
    name: "header line without a colon",
    body: `--${B}\r\nContent-Disposition: form-data; name="a"\r\nnonsense\r\n\r\n`,
    message: /Malformed part header "nonsense"/,
    at: "feed",
  },
  {
    name: "bare LF in headers",
    body: `--${B}\r\nContent-Disposition: form-data; name="a"\n\r\n`,
    message: /Bare LF/,
    at: "feed",
  },
  {
    name: "unterminated quoted string",
    body: `--${B}\r\nContent-Disposition: form-data; name="a\r\n\r\n`,
    message: /Malformed Content-Disposition/,
    at: "feed",
  },
  {
    name: "bad filename* escape",
    body: `--${B}\r\nContent-Disposition: form-data; name="a"; filename*=UTF-8''%zz\r\n\r\n`,
    message: /Malformed filename\*/,
    at: "feed",
  },
];

for (const c of invalid) {
  Deno.test(`MultipartParser rejects ${c.name} with 400`, () => {
    const body = bytes(c.body);
    // Whole, and one byte at a time: the error comes at the same stage.
    for (const chunks of [[body], Array.from(body, (_, i) => body.subarray(i, i + 1))]) {
      const parser = new MultipartParser(B);
      const feedAll = () => {
        for (const chunk of chunks) parser.feed(chunk);
      };
      if (c.at === "end") {
        feedAll();
        assert.throws(() => parser.end(), (e) => isBadRequest(e, c.message));
      } else {
        assert.throws(feedAll, (e) => isBadRequest(e, c.message));
      }
    }
  });
}

function isBadRequest(error: unknown, message: RegExp): boolean {
  assert.ok(error instanceof HttpError, `not an HttpError: ${error}`);
  assert.equal(error.status, 400);
  assert.match(error.message, message);
  return true;
}

Deno.test("MultipartParser ignores the epilogue, whatever it holds", () => {
  const parser = new MultipartParser(B);
  parser.feed(bytes(`--${B}--`));
  assert.ok(parser.done);
  assert.deepEqual(parser.feed(bytes(`\r\n--${B}\r\ngarbage`)), []);
  parser.end();
});

Deno.test("MultipartParser rejects an empty boundary", () => {
  assert.throws(() => new MultipartParser(""), HttpError);
});

Deno.test("boundaryFrom() reads the boundary of multipart/form-data only", () => {
  const long = "b".repeat(201);
  const table: [string, string | null][] = [
    ["multipart/form-data; boundary=abc", "abc"],
    ['Multipart/Form-Data; BOUNDARY="a b:c"', "a b:c"],
    [
      "multipart/form-data;charset=utf-8;boundary=----WebKitFormBoundary7MA4Y",
      "----WebKitFormBoundary7MA4Y",
    ],
    ["multipart/form-data; boundary=*****", "*****"],
    ["multipart/form-data; boundary=x; boundary=y", "x"],
    ["multipart/form-data", null],
    ["multipart/form-data; boundary=", null],
    ['multipart/form-data; boundary=""', null],
    ['multipart/form-data; boundary="ends with space "', null],
    ['multipart/form-data; boundary="tab\there"', null],
    [`multipart/form-data; boundary=${long}`, null],
    ["multipart/mixed; boundary=abc", null],
    ["text/plain; boundary=abc", null],
    ['multipart/form-data; boundary="unterminated', null],
  ];
  for (const [contentType, expected] of table) {
    assert.equal(boundaryFrom(contentType), expected, contentType);
  }
});

Deno.test("parseContentDisposition() reads names, file names and escapes", () => {
  const table: [string, { type: string; name: string; filename: string | null }][] = [
    ['form-data; name="a"', { type: "form-data", name: "a", filename: null }],
    ["Form-Data; Name=a; FILENAME=b.txt", { type: "form-data", name: "a", filename: "b.txt" }],
    ['form-data; name="a;b"; filename="c; d.txt"', {
      type: "form-data",
      name: "a;b",
      filename: "c; d.txt",
    }],
    ['form-data; name="a"; filename=""', { type: "form-data", name: "a", filename: "" }],
    ['form-data; filename="x"; name="n"', { type: "form-data", name: "n", filename: "x" }],
    ["form-data; name=\"a\"; filename*=ISO-8859-1'en'%E9t%E9.txt", {
      type: "form-data",
      name: "a",
      filename: "été.txt",
    }],
    // An unknown charset falls back to the plain file name.
    ["form-data; name=a; filename=plain.txt; filename*=KOI8-R''%C1", {
      type: "form-data",
      name: "a",
      filename: "plain.txt",
    }],
    ["form-data; flag; name=a", { type: "form-data", name: "a", filename: null }],
    ["form-data", { type: "form-data", name: "", filename: null }],
  ];
  for (const [header, expected] of table) {
    assert.deepEqual(parseContentDisposition(header), expected, header);
  }
});

Deno.test("parseContentDisposition() rejects what it cannot parse", () => {
  for (
    const header of [
      "",
      'form-data; name="open',
      'form-data; name="a"x',
      "form-data; filename*=UTF-8''%FF",
      "form-data; filename*=no-quotes",
    ]
  ) {
    assert.throws(() => parseContentDisposition(header), HttpError, header);
  }
});
