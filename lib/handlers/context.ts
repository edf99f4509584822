/** What a handler receives, and the handler contract: answer (a Response) or decline (null). */
import type { LocationConfig, ServerConfig } from "../config/types.ts";
import type { BodyReader, RequestHead } from "../http/request.ts";
import type { Response } from "../http/response.ts";

export interface RequestContext {
  head: RequestHead;
  body: BodyReader;
  /** The URI path percent-decoded once and with dot segments resolved ("/a b/c.html"). */
  path: string;
  server: ServerConfig;
  location: LocationConfig;
  remote: Deno.NetAddr;
  local: Deno.NetAddr;
  /** The Host header without port, lower-cased ("" when absent). */
  host: string;
  /**
   * Aborts when the client closes the connection while the request is handled. Present where
   * the connection watches for that (locations that run CGI scripts).
   */
  clientGone?: AbortSignal;
}

/**
 * Returns a Response, or null to let the next handler try. A Response with status >= 400 and
 * `body: null` is an error: the dispatcher fills its body from `error_page` or a generated page.
 */
export type Handler = (ctx: RequestContext) => Promise<Response | null>;
