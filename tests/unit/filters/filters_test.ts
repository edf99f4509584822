/** The not-modified and range filters, on responses as handlers make them. */
import assert from "node:assert/strict";
import { applyFilters } from "../../../lib/phases/engine.ts";
import { PIPELINE } from "../../../lib/server/pipeline.ts";
import type { Response } from "../../../lib/http/response.ts";
import { testContext, testHead } from "../_fixtures.ts";

const ETAG = '"5f-a"';
const MODIFIED = "Sun, 06 Nov 1994 08:49:37 GMT";
const BODY = new TextEncoder().encode("0123456789");

function file(extra: [string, string][] = []): Response {
  return {
    status: 200,
    headers: [
      ["Content-Type", "text/plain"],
      ["Content-Length", "10"],
      ["Last-Modified", MODIFIED],
      ["ETag", ETAG],
      ["Accept-Ranges", "bytes"],
      ...extra,
    ],
    body: BODY,
  };
}

function filtered(
  headers: [string, string][],
  res = file(),
  method = "GET",
): Promise<Response> {
  return applyFilters(testContext({ head: testHead({ method, headers }) }), res, PIPELINE);
}

function field(res: Response, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

Deno.test("the not-modified filter answers 304 or 412 from the validators", async () => {
  const table: [string, [string, string][], number][] = [
    ["no condition", [], 200],
    ["If-None-Match matching", [["if-none-match", ETAG]], 304],
    ["If-None-Match weakly matching", [["if-none-match", `W/${ETAG}`]], 304],
    ["If-None-Match in a list", [["if-none-match", `"x", ${ETAG}`]], 304],
    ["If-None-Match *", [["if-none-match", "*"]], 304],
    ["If-None-Match other", [["if-none-match", '"other"']], 200],
    ["If-Modified-Since equal", [["if-modified-since", MODIFIED]], 304],
    // nginx's default if_modified_since is exact: a later date is not the same date.
    ["If-Modified-Since later", [["if-modified-since", "Mon, 07 Nov 1994 08:49:37 GMT"]], 200],
    ["If-Modified-Since earlier", [["if-modified-since", "Sat, 05 Nov 1994 08:49:37 GMT"]], 200],
    ["If-Modified-Since unparsable", [["if-modified-since", "yesterday"]], 200],
    ["If-None-Match wins over If-Modified-Since", [
      ["if-none-match", '"other"'],
      ["if-modified-since", MODIFIED],
    ], 200],
    ["If-Match matching", [["if-match", ETAG]], 200],
    ["If-Match *", [["if-match", "*"]], 200],
    ["If-Match other", [["if-match", '"other"']], 412],
    ["If-Match weak never matches", [["if-match", `W/${ETAG}`]], 412],
    ["If-Unmodified-Since later", [["if-unmodified-since", "Mon, 07 Nov 1994 08:49:37 GMT"]], 200],
    [
      "If-Unmodified-Since earlier",
      [["if-unmodified-since", "Sat, 05 Nov 1994 08:49:37 GMT"]],
      412,
    ],
  ];
  for (const [name, headers, status] of table) {
    assert.equal((await filtered(headers)).status, status, name);
  }
  const notModified = await filtered([["if-none-match", ETAG]]);
  assert.equal(notModified.body, null);
  assert.deepEqual(notModified.headers, [["Last-Modified", MODIFIED], ["ETag", ETAG]]);
  // Only GET and HEAD become 304; other methods and other statuses pass.
  assert.equal((await filtered([["if-none-match", ETAG]], file(), "POST")).status, 200);
  const created = { ...file(), status: 201 };
  assert.equal((await filtered([["if-none-match", ETAG]], created)).status, 201);
});

Deno.test("the range filter cuts one range, or answers 416", async () => {
  const partial = await filtered([["range", "bytes=2-4"]]);
  assert.equal(partial.status, 206);
  assert.deepEqual(partial.body, BODY.subarray(2, 5));
  assert.equal(field(partial, "content-length"), "3");
  assert.equal(field(partial, "content-range"), "bytes 2-4/10");
  const suffix = await filtered([["range", "bytes=-3"]]);
  assert.equal(field(suffix, "content-range"), "bytes 7-9/10");
  const unsatisfiable = await filtered([["range", "bytes=10-"]]);
  assert.equal(unsatisfiable.status, 416);
  assert.equal(field(unsatisfiable, "content-range"), "bytes */10");
  // Ignored: several ranges, no Accept-Ranges, an If-Range naming another version, a stream.
  assert.equal((await filtered([["range", "bytes=0-1,3-4"]])).status, 200);
  const noRanges = file();
  noRanges.headers = noRanges.headers.filter(([n]) => n !== "Accept-Ranges");
  assert.equal((await filtered([["range", "bytes=0-1"]], noRanges)).status, 200);
  assert.equal((await filtered([["range", "bytes=0-1"], ["if-range", '"old"']])).status, 200);
  assert.equal((await filtered([["range", "bytes=0-1"], ["if-range", ETAG]])).status, 206);
  assert.equal((await filtered([["range", "bytes=0-1"], ["if-range", MODIFIED]])).status, 206);
  async function* chunks(): AsyncGenerator<Uint8Array> {}
  const stream: Response = { ...file(), body: { kind: "stream", chunks: chunks() } };
  assert.equal((await filtered([["range", "bytes=0-1"]], stream)).status, 200);
});

Deno.test("the range filter cuts a HEAD's announced length and a file range", async () => {
  const head = await filtered([["range", "bytes=5-"]], { ...file(), body: null }, "HEAD");
  assert.equal(head.status, 206);
  assert.equal(head.body, null);
  assert.equal(field(head, "content-length"), "5");
});
