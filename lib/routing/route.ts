/**
 * Chooses where a request goes: the virtual server (by Host), the decoded path, the location. The
 * one place that does it, for requests as they arrive and for internal redirects.
 */
import type { LocationConfig, ServerConfig } from "../config/types.ts";
import type { RequestHead } from "../http/request.ts";
import { requestHost } from "../http/request_host.ts";
import { matchLocation } from "./match_location.ts";
import { decodePath } from "./resolve_path.ts";
import { selectServer } from "./select_server.ts";

/** Where a request goes. */
export interface Route {
  server: ServerConfig;
  /** The Host without port, lower-cased ("" when absent on HTTP/1.0). */
  host: string;
  /** The URI path percent-decoded once and with dot segments resolved. */
  path: string;
  location: LocationConfig;
  /** What the location's regular expression captured ($0…$9), or empty. */
  captures: string[];
}

/** A request that cannot be routed: 400, answered by `server` (the address's default). */
export interface Unroutable {
  server: ServerConfig;
  status: 400;
  message: string;
}

/** Routes a request among the servers of the address it arrived on (the first is the default). */
export function route(servers: readonly ServerConfig[], head: RequestHead): Route | Unroutable {
  const host = requestHost(head);
  if (host === null) {
    return { server: servers[0]!, status: 400, message: "Missing or invalid Host header" };
  }
  const server = selectServer(servers, host);
  const path = decodePath(head.rawPath);
  if (path === null) {
    return { server, status: 400, message: `Invalid request path "${head.rawPath}"` };
  }
  const { location, captures } = matchLocation(server, path);
  return { server, host, path, location, captures };
}

/**
 * The route of a local URI ("/path?query") in the same server, for an internal redirect: the new
 * path and location and the head's path and query; null for a URI that is no valid path.
 */
export function reroute(
  server: ServerConfig,
  uri: string,
):
  | { path: string; location: LocationConfig; captures: string[]; rawPath: string; query: string }
  | null {
  const q = uri.indexOf("?");
  const rawPath = q === -1 ? uri : uri.slice(0, q);
  const query = q === -1 ? "" : uri.slice(q + 1);
  const path = decodePath(rawPath);
  if (path === null) return null;
  return { path, ...matchLocation(server, path), rawPath, query };
}
