/** The RFC 3875 environment of a CGI script, built from the request alone (a pure function). */
import type { RequestHead } from "../http/request.ts";
import { SERVER_NAME, VERSION } from "../version.ts";

/** An address as the environment needs it (a `Deno.NetAddr` fits). */
export interface CgiAddress {
  hostname: string;
  port: number;
}

/** Everything the environment is built from. */
export interface CgiEnvInput {
  head: RequestHead;
  /** The URI path of the script ("/cgi-bin/env.py"). */
  scriptName: string;
  /** The absolute file of the script ("/srv/www/cgi-bin/env.py"). */
  scriptFilename: string;
  /** The decoded rest of the path after the script ("/a/b"), or "". */
  pathInfo: string;
  /** The absolute directory the script's location maps URIs under (its root or alias). */
  documentRoot: string;
  /** The Host header without port, lower-cased, or "" when absent. */
  host: string;
  /** The server block's names, the first one used when there is no Host. */
  serverNames: readonly string[];
  local: CgiAddress;
  remote: CgiAddress;
  /** The request came over TLS: REQUEST_SCHEME=https and HTTPS=on. */
  secure?: boolean;
  /** The body's length in bytes; 0 or null when there is no body. */
  contentLength: number | null;
  /** The request's session where `session on` applies: SESSION_ID and SESSION_FILE. */
  session?: { id: string; file: string };
}

/** The search path a script gets: nothing is taken from the server's own environment. */
export const CGI_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Request headers that never become HTTP_* variables. */
const SKIPPED = new Set([
  // They have variables of their own (CONTENT_LENGTH, CONTENT_TYPE).
  "content-length",
  "content-type",
  // httpoxy: HTTP_PROXY would be taken for the script's outgoing proxy.
  "proxy",
]);

/** Header names that map to a variable name without ambiguity: letters, digits and "-". */
const SAFE_NAME = /^[A-Za-z0-9-]+$/;

/**
 * Builds the environment of a CGI/1.1 script (RFC 3875 §4.1), in the manner of lighttpd's
 * http_cgi.c. Every request header becomes HTTP_<NAME> ("-" → "_"), repeats joined with ", "
 * (Cookie with "; "), except Content-Length, Content-Type and Proxy, and except names with
 * characters other than letters, digits and "-" (nginx's `underscores_in_headers off`: "X_A" must
 * not pass for "X-A"). REDIRECT_STATUS=200 lets php-cgi run with `cgi.force_redirect` on.
 */
export function buildCgiEnv(input: CgiEnvInput): Record<string, string> {
  const { head } = input;
  const env: Record<string, string> = {
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: head.minor === 0 ? "HTTP/1.0" : "HTTP/1.1",
    SERVER_SOFTWARE: `${SERVER_NAME}/${VERSION}`,
    SERVER_NAME: input.host || input.serverNames[0] || input.local.hostname,
    SERVER_ADDR: input.local.hostname,
    SERVER_PORT: String(input.local.port),
    REQUEST_METHOD: head.method,
    REQUEST_URI: head.target,
    REQUEST_SCHEME: input.secure ? "https" : "http",
    SCRIPT_NAME: input.scriptName,
    SCRIPT_FILENAME: input.scriptFilename,
    DOCUMENT_ROOT: input.documentRoot,
    QUERY_STRING: head.query,
    REMOTE_ADDR: input.remote.hostname,
    REMOTE_PORT: String(input.remote.port),
    REDIRECT_STATUS: "200",
    PATH: CGI_PATH,
  };
  // Not RFC 3875's, but what scripts look for (Apache's, nginx's fastcgi_params).
  if (input.secure) env.HTTPS = "on";
  // PATH_INFO and PATH_TRANSLATED only exist when something follows the script's name.
  if (input.pathInfo !== "") {
    env.PATH_INFO = input.pathInfo;
    env.PATH_TRANSLATED = trimSlash(input.documentRoot) + input.pathInfo;
  }
  // The session's id and the JSON file holding its data (not RFC 3875: this server's own).
  if (input.session !== undefined) {
    env.SESSION_ID = input.session.id;
    env.SESSION_FILE = input.session.file;
  }
  // CONTENT_LENGTH only when a body is attached (RFC 3875 §4.1.2).
  if (input.contentLength !== null && input.contentLength > 0) {
    env.CONTENT_LENGTH = String(input.contentLength);
  }
  for (const [name, value] of head.headers) {
    if (name === "content-type") {
      if (env.CONTENT_TYPE === undefined) env.CONTENT_TYPE = value;
      continue;
    }
    if (SKIPPED.has(name) || !SAFE_NAME.test(name)) continue;
    const key = "HTTP_" + name.toUpperCase().replaceAll("-", "_");
    const previous = env[key];
    if (previous === undefined) env[key] = value;
    else env[key] = previous + (name === "cookie" ? "; " : ", ") + value;
  }
  return env;
}

/** Drops one trailing "/" so that "/srv/www/" + "/a" does not give "//". */
function trimSlash(dir: string): string {
  return dir.endsWith("/") ? dir.slice(0, -1) : dir;
}
