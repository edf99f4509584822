import assert from "node:assert/strict";
import { errorPageBody, errorResponse } from "../../../lib/http/error_pages.ts";

const decoder = new TextDecoder();

Deno.test("errorPageBody() renders nginx's page for 404", () => {
  assert.equal(
    decoder.decode(errorPageBody(404)),
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n" +
      "<center><h1>404 Not Found</h1></center>\r\n<hr><center>webserv</center>\r\n</body>\r\n" +
      "</html>\r\n",
  );
});

Deno.test("errorPageBody() names each status with its reason", () => {
  for (
    const [status, title] of [
      [400, "400 Bad Request"],
      [403, "403 Forbidden"],
      [405, "405 Method Not Allowed"],
      [413, "413 Content Too Large"],
      [500, "500 Internal Server Error"],
      [301, "301 Moved Permanently"],
    ] as const
  ) {
    assert.match(decoder.decode(errorPageBody(status)), new RegExp(`<title>${title}</title>`));
  }
});

Deno.test("errorPageBody() builds each page once", () => {
  assert.equal(errorPageBody(418), errorPageBody(418));
});

Deno.test("errorResponse() returns the page with its type and length", () => {
  const response = errorResponse(404);
  assert.equal(response.status, 404);
  assert.equal(response.body, errorPageBody(404));
  assert.deepEqual(response.headers, [
    ["Content-Type", "text/html; charset=utf-8"],
    ["Content-Length", String(errorPageBody(404).length)],
  ]);
});

Deno.test("errorResponse() keeps given headers but replaces their type and length", () => {
  const response = errorResponse(405, [
    ["Allow", "GET, HEAD"],
    ["content-type", "text/plain"],
    ["Content-Length", "3"],
  ]);
  assert.deepEqual(response.headers, [
    ["Allow", "GET, HEAD"],
    ["Content-Type", "text/html; charset=utf-8"],
    ["Content-Length", String(errorPageBody(405).length)],
  ]);
});
