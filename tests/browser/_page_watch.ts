/** Records what went wrong on a page: failed requests, error responses, console and page errors. */
import type { Page, Request } from "./_playwright.ts";

/** Says whether an error response or a failed request for `url` is one the test expects. */
export type Allowance = (url: string) => boolean;

/** What a watched page reported; `problems` only grows. */
export interface PageWatch {
  problems: string[];
  /** Every response seen: "METHOD status url". */
  responses: string[];
}

/** Same-origin or not, the path and query of a URL (shorter messages). */
function short(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/**
 * Starts watching `page`. A request that fails, a response with status >= 400, a console error
 * and an uncaught page error are problems unless `allow(url)` says the URL may fail.
 */
export function watchPage(page: Page, allow: Allowance = () => false): PageWatch {
  const watch: PageWatch = { problems: [], responses: [] };
  const noContent = new WeakSet<Request>();
  page.on("requestfailed", (request) => {
    if (allow(request.url())) return;
    const reason = request.failure()?.errorText ?? "unknown reason";
    const path = short(request.url());
    const aborted = reason === "net::ERR_ABORTED";
    // Chromium reports a 204 answer to fetch() as "net::ERR_ABORTED" after the response arrived
    // (it does so for any server; cf. ckeditor/ckeditor5-dev#1071): not a failure.
    if (noContent.has(request) && aborted) return;
    // The browser's own favicon fetch is cancelled when the page navigates away before it ends (a
    // form posted at once): the browser's choice, not a failure of the server.
    if (aborted && /^\/favicon\./.test(path)) return;
    watch.problems.push(`request failed: ${request.method()} ${path} (${reason})`);
  });
  page.on("response", (response) => {
    const request = response.request();
    const line = `${request.method()} ${response.status()} ${short(response.url())}`;
    watch.responses.push(line);
    if (response.status() === 204) noContent.add(request);
    if (response.status() >= 400 && !allow(response.url())) {
      watch.problems.push(`error response: ${line}`);
    }
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url;
    // The console echo of an error response that was allowed above.
    if (/^Failed to load resource/.test(message.text()) && where && allow(where)) return;
    watch.problems.push(`console error: ${message.text()} (${short(where)})`);
  });
  page.on("pageerror", (error) => {
    watch.problems.push(`page error: ${error.message}`);
  });
  return watch;
}
