/** The page generated for an error (or redirect) status when no `error_page` file is configured. */
import type { Response } from "./response.ts";
import { reasonPhrase } from "./status.ts";
import { SERVER_NAME } from "../version.ts";

const HTML = "text/html; charset=utf-8";
const pages = new Map<number, Uint8Array>();
const encoder = new TextEncoder();

/**
 * The nginx-like page for a status ("<html>…<h1>404 Not Found</h1>…"), built once per status. The
 * bytes are shared: do not modify them.
 */
export function errorPageBody(status: number): Uint8Array {
  let page = pages.get(status);
  if (page === undefined) {
    const title = `${status} ${reasonPhrase(status)}`;
    page = encoder.encode(
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n` +
        `<center><h1>${title}</h1></center>\r\n<hr><center>${SERVER_NAME}</center>\r\n` +
        `</body>\r\n</html>\r\n`,
    );
    pages.set(status, page);
  }
  return page;
}

/**
 * A response carrying the generated page for `status`, after the given headers (such as `Allow`
 * or `Content-Range`); any Content-Type or Content-Length among them is replaced by the page's.
 */
export function errorResponse(status: number, headers: [string, string][] = []): Response {
  const body = errorPageBody(status);
  const kept = headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== "content-type" && lower !== "content-length";
  });
  return {
    status,
    headers: [
      ...kept,
      ["Content-Type", HTML],
      ["Content-Length", String(body.length)],
    ],
    body,
  };
}
