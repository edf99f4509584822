/** What flows through the request phases: the request, where it was routed, and the services. */
import type { Http01Challenges } from "../acme/http01.ts";
import type { UserFiles } from "../access/user_files.ts";
import type { Zones } from "../access/zones.ts";
import type { CgiPool } from "../cgi/runner.ts";
import type { LocationConfig, ServerConfig } from "../config/types.ts";
import type { CompressedCache } from "../compression/cache.ts";
import type { FileCache } from "../files/file_cache.ts";
import type { Upstreams } from "../proxy/upstreams.ts";
import type { BodyReader, RequestHead } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import type { ErrorLog } from "../log/error_log.ts";
import type { SessionHubs } from "../session/hubs.ts";
import type { UpstreamAttempt } from "../variables/variables.ts";

/**
 * What one configuration shares among its requests (made by the server when the configuration is
 * loaded, released when its last connection is done): nothing here is a module-level singleton.
 */
export interface Services {
  /** Small files and what the static handler knows of paths. */
  files: FileCache;
  /** Compressed variants of bodies in memory (small files above all). */
  compressed: CompressedCache;
  /** Running CGI scripts (cgi_max_processes). */
  cgi: CgiPool;
  /** limit_req and limit_conn zones. */
  zones: Zones;
  /** auth_basic password files. */
  userFiles: UserFiles;
  /** Each upstream's server choice and idle connections. */
  upstreams: Upstreams;
  /** The session hub of each server with `session on`. */
  sessions: SessionHubs;
  /** The HTTP-01 challenges of the ACME orders under way. */
  acme: Http01Challenges;
  log: ErrorLog;
}

export interface RequestContext {
  head: RequestHead;
  body: BodyReader;
  /** The URI path percent-decoded once and with dot segments resolved ("/a b/c.html"). */
  path: string;
  server: ServerConfig;
  location: LocationConfig;
  /** What the location's regular expression (or a rewrite) captured: $0…$9. */
  captures: string[];
  remote: Deno.NetAddr;
  local: Deno.NetAddr;
  /** The connection's number ($connection, and `*N` in error-log lines). */
  connection: number;
  /** The connection speaks TLS. */
  secure: boolean;
  /** A `rewrite … break` changed the URI in this location (proxy_pass then sends it whole). */
  uriRewritten?: boolean;
  /** The Host header without port, lower-cased ("" when absent). */
  host: string;
  services: Services;
  /** What belongs to the request whatever its URI becomes (shared by every context of it). */
  state: RequestState;
  /**
   * A signal that aborts when the client closes the connection while the request is handled and
   * its response sent; the connection starts watching when it is first asked (a CGI script is
   * about to run). Absent outside a connection (unit tests).
   */
  clientGone?: () => AbortSignal;
}

/** The per-request record: filled in by the phases, read by the connection. */
export interface RequestState {
  /** Run by the connection once the response is sent or abandoned (limit_conn's release). */
  done: Array<() => void>;
  /** limit_req and limit_conn apply once per request, whatever redirects follow. */
  limitedReq: boolean;
  limitedConn: boolean;
  /** The upstream servers tried, in order ($upstream_addr and the others). */
  upstream: UpstreamAttempt[];
}

/**
 * A handler's wish to go on with another URI, keeping the request (its method and body):
 * - "search": find the location again and go on from find-config (`rewrite`, `rewrite … last`);
 * - "stay": keep the location and go on with the next phase (`rewrite … break`, a `try_files` hit);
 * - "restart": an internal redirect, from server-rewrite on (a `try_files` fallback);
 * `named` goes to a named location instead of searching (`@fallback`).
 */
export interface UriChange {
  kind: "uri";
  /** The new decoded path (and `named`'s request keeps the old one). */
  path: string;
  query: string;
  then: "search" | "stay" | "restart";
  named?: string;
  /** The groups of the expression that made the change ($0…$9), when one did. */
  captures?: string[];
  /** Made by `rewrite` (not by try_files). */
  byRewrite?: boolean;
}

/**
 * One step of a phase: answer (a Response ends the phases), change the URI (see UriChange), or
 * decline (null: the next handler, then the next phase). A Response with status >= 400 and
 * `body: null` is an error: the engine fills its body from `error_page` or a generated page.
 */
export type Handler = (
  ctx: RequestContext,
) => Response | UriChange | null | Promise<Response | UriChange | null>;

/** A content handler: answers (or declines), never changes the URI. */
export type ContentHandler = (ctx: RequestContext) => Response | null | Promise<Response | null>;

/**
 * A response filter: sees every final response (after error pages) and returns it, changed or
 * not. Header filters change status and fields; body filters transform the body.
 */
export type Filter = (ctx: RequestContext, res: Response) => Response | Promise<Response>;

/** One phase: its name and its handlers, in order. */
export interface Phase {
  name: string;
  handlers: readonly Handler[];
}

/** What the engine runs: the phases in order, then the filters in order. */
export interface Pipeline {
  phases: readonly Phase[];
  filters: readonly Filter[];
}
