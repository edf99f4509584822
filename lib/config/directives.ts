/**
 * The directive table: every directive with where it may appear, how many arguments it takes,
 * whether it may repeat in one block, and what applies it. Slot setters (slots.ts) cover the
 * common kinds of value; setters.ts the directives with a syntax of their own. The generic checks
 * (context, arity, duplicates, block or not) live in evaluate.ts.
 */
import { ACCEPTED_DIRECTIVES } from "./accepted.ts";
import { eventsBlock, httpBlock, locationBlock, serverBlock } from "./blocks.ts";
import type { Context, Directive } from "./directive.ts";
import * as acme from "./acme.ts";
import * as zip from "./compression_setters.ts";
import * as proxy from "./proxy_setters.ts";
import { proxyPass } from "./proxy_pass.ts";
import * as set from "./setters.ts";
import * as tls from "./tls_setters.ts";
import { upstreamBlock, upstreamServer } from "./upstream.ts";
import {
  enumSlot,
  flagSlot,
  ISSUER,
  LIMITS,
  numberSlot,
  pathSlot,
  SESSIONS,
  SETTINGS,
  sizeSlot,
  timeSlot,
  UPSTREAM,
} from "./slots.ts";

// Where a directive may stand. The top level ("main") also stands for `http { }` when the file
// has none, so what nginx allows in `http` is allowed there too.
const MAIN: readonly Context[] = ["main"];
const EVENTS: readonly Context[] = ["main", "events"];
const HTTP: readonly Context[] = ["main", "http"];
const SRV: readonly Context[] = ["server"];
const LOC: readonly Context[] = ["location"];
const SRV_LOC: readonly Context[] = ["server", "location"];
const HTTP_SRV: readonly Context[] = ["main", "http", "server"];
const ANY: readonly Context[] = ["main", "http", "server", "location"];
const UPS: readonly Context[] = ["upstream"];
const ACME: readonly Context[] = ["acme_issuer"];

const ONE = [1, 1] as const;
const TWO = [2, 2] as const;
const NONE = [0, 0] as const;
const ONE_OR_MORE = [1, Infinity] as const;

const YEAR_MS = 365 * 86_400_000;
/** The levels limit_req and limit_conn log at (nginx's choice of four). */
const LIMIT_LOG_LEVELS = ["info", "notice", "warn", "error"] as const;

// A table is easier to read unwrapped.
// deno-fmt-ignore
const TABLE: Directive[] = [
  // Blocks.
  { name: "events", contexts: MAIN, arity: NONE, block: true, open: eventsBlock },
  { name: "http", contexts: MAIN, arity: NONE, block: true, open: httpBlock },
  { name: "server", contexts: HTTP, arity: NONE, repeatable: true, block: true, open: serverBlock },
  { name: "location", contexts: SRV_LOC, arity: [1, 2], repeatable: true, block: true, open: locationBlock },

  // Connections and limits (one set for the whole server).
  { name: "worker_connections", contexts: EVENTS, arity: ONE, apply: numberSlot(LIMITS, "workerConnections") },
  { name: "max_headers", contexts: HTTP, arity: ONE, apply: numberSlot(LIMITS, "maxHeaders") },
  { name: "keepalive_requests", contexts: HTTP, arity: ONE, apply: numberSlot(LIMITS, "keepaliveRequests") },
  { name: "cgi_max_processes", contexts: HTTP, arity: ONE, apply: numberSlot(LIMITS, "cgiMaxProcesses") },
  { name: "large_client_header_buffers", contexts: HTTP, arity: TWO, apply: set.largeClientHeaderBuffers },
  { name: "error_log", contexts: HTTP, arity: [1, 2], apply: set.errorLog },
  { name: "pid", contexts: MAIN, arity: ONE, apply: set.pid },
  { name: "worker_processes", contexts: MAIN, arity: ONE, apply: set.workerProcesses },

  // Virtual servers.
  { name: "listen", contexts: SRV, arity: ONE_OR_MORE, repeatable: true, apply: set.listen },
  { name: "server_name", contexts: SRV, arity: ONE_OR_MORE, repeatable: true, apply: set.serverName },

  // Timeouts.
  { name: "client_header_timeout", contexts: HTTP_SRV, arity: ONE, apply: timeSlot(SETTINGS, "clientHeaderTimeout") },
  { name: "client_body_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "clientBodyTimeout") },
  { name: "keepalive_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "keepaliveTimeout") },
  { name: "send_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "sendTimeout") },

  // Where files come from.
  { name: "root", contexts: ANY, arity: ONE, apply: set.root },
  { name: "alias", contexts: LOC, arity: ONE, apply: set.alias },
  { name: "index", contexts: ANY, arity: ONE_OR_MORE, repeatable: true, apply: set.index },
  { name: "autoindex", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "autoindex") },

  // Response headers.
  { name: "add_header", contexts: ANY, arity: [2, 3], repeatable: true, apply: set.addHeader },
  { name: "expires", contexts: ANY, arity: [1, 2], apply: set.expires },
  { name: "server_tokens", contexts: ANY, arity: ONE, apply: set.serverTokens },
  { name: "etag", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "etag") },
  { name: "if_modified_since", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "ifModifiedSince", ["off", "exact", "before"]) },

  // Content types.
  { name: "types", contexts: ANY, arity: NONE, repeatable: true, block: "raw", read: set.types },
  { name: "default_type", contexts: ANY, arity: ONE, apply: set.defaultType },
  { name: "charset", contexts: ANY, arity: ONE, apply: set.charset },
  { name: "charset_types", contexts: ANY, arity: ONE_OR_MORE, apply: set.charsetTypes },

  // Answers.
  { name: "return", contexts: SRV_LOC, arity: [1, 2], repeatable: true, apply: set.returnDirective },
  { name: "rewrite", contexts: SRV_LOC, arity: [2, 3], repeatable: true, apply: set.rewrite },
  { name: "try_files", contexts: SRV_LOC, arity: [2, Infinity], apply: set.tryFiles },
  { name: "error_page", contexts: ANY, arity: [2, Infinity], repeatable: true, apply: set.errorPage },
  { name: "allow_methods", contexts: ANY, arity: ONE_OR_MORE, apply: set.allowMethods },
  { name: "client_max_body_size", contexts: ANY, arity: ONE, apply: sizeSlot(SETTINGS, "clientMaxBodySize") },
  { name: "access_log", contexts: ANY, arity: ONE_OR_MORE, repeatable: true, apply: set.accessLog },
  { name: "log_format", contexts: HTTP, arity: [2, Infinity], repeatable: true, apply: set.logFormat },

  // Uploads and CGI.
  { name: "upload_store", contexts: ANY, arity: ONE, apply: set.uploadStore },
  { name: "cgi", contexts: ANY, arity: TWO, repeatable: true, apply: set.cgi },
  { name: "cgi_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "cgiTimeout", { min: 1 }) },

  // Access.
  { name: "allow", contexts: ANY, arity: ONE, repeatable: true, apply: set.allow },
  { name: "deny", contexts: ANY, arity: ONE, repeatable: true, apply: set.deny },
  { name: "satisfy", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "satisfy", ["all", "any"]) },
  { name: "auth_basic", contexts: ANY, arity: ONE, apply: set.authBasic },
  { name: "auth_basic_user_file", contexts: ANY, arity: ONE, apply: set.authBasicUserFile },
  { name: "limit_req_zone", contexts: HTTP, arity: [3, 4], repeatable: true, apply: set.limitReqZone },
  { name: "limit_req", contexts: ANY, arity: [1, 3], repeatable: true, apply: set.limitReq },
  { name: "limit_req_status", contexts: ANY, arity: ONE, apply: numberSlot(SETTINGS, "limitReqStatus", { min: 400, max: 599 }) },
  { name: "limit_req_log_level", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "limitReqLogLevel", LIMIT_LOG_LEVELS) },
  { name: "limit_req_dry_run", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "limitReqDryRun") },
  { name: "limit_conn_zone", contexts: HTTP, arity: [2, 2], repeatable: true, apply: set.limitConnZone },
  { name: "limit_conn", contexts: ANY, arity: TWO, repeatable: true, apply: set.limitConn },
  { name: "limit_conn_status", contexts: ANY, arity: ONE, apply: numberSlot(SETTINGS, "limitConnStatus", { min: 400, max: 599 }) },
  { name: "limit_conn_log_level", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "limitConnLogLevel", LIMIT_LOG_LEVELS) },
  { name: "limit_conn_dry_run", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "limitConnDryRun") },

  // The reverse proxy.
  { name: "upstream", contexts: HTTP, arity: ONE, repeatable: true, block: true, open: upstreamBlock },
  { name: "server", contexts: UPS, arity: ONE_OR_MORE, repeatable: true, apply: upstreamServer },
  { name: "keepalive", contexts: UPS, arity: ONE, apply: numberSlot(UPSTREAM, "keepalive") },
  { name: "keepalive_timeout", contexts: UPS, arity: ONE, apply: timeSlot(UPSTREAM, "keepaliveTimeout") },
  { name: "keepalive_requests", contexts: UPS, arity: ONE, apply: numberSlot(UPSTREAM, "keepaliveRequests") },
  { name: "proxy_pass", contexts: LOC, arity: ONE, apply: proxyPass },
  { name: "proxy_set_header", contexts: ANY, arity: TWO, repeatable: true, apply: proxy.proxySetHeader },
  { name: "proxy_hide_header", contexts: ANY, arity: ONE, repeatable: true, apply: proxy.headerList("proxyHideHeaders") },
  { name: "proxy_pass_header", contexts: ANY, arity: ONE, repeatable: true, apply: proxy.headerList("proxyPassHeaders") },
  { name: "proxy_http_version", contexts: ANY, arity: ONE, apply: proxy.proxyHttpVersion },
  { name: "proxy_connect_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "proxyConnectTimeout", { min: 1 }) },
  { name: "proxy_read_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "proxyReadTimeout", { min: 1 }) },
  { name: "proxy_send_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "proxySendTimeout", { min: 1 }) },
  { name: "proxy_buffering", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "proxyBuffering") },
  { name: "proxy_redirect", contexts: ANY, arity: [1, 2], repeatable: true, apply: proxy.proxyRedirect },
  { name: "proxy_intercept_errors", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "proxyInterceptErrors") },
  { name: "proxy_next_upstream", contexts: ANY, arity: ONE_OR_MORE, apply: proxy.proxyNextUpstream },
  { name: "proxy_next_upstream_tries", contexts: ANY, arity: ONE, apply: numberSlot(SETTINGS, "proxyNextUpstreamTries", { min: 0 }) },
  { name: "proxy_next_upstream_timeout", contexts: ANY, arity: ONE, apply: timeSlot(SETTINGS, "proxyNextUpstreamTimeout") },

  // TLS.
  { name: "ssl_certificate", contexts: HTTP_SRV, arity: ONE, apply: tls.pemFile("sslCertificate") },
  { name: "ssl_certificate_key", contexts: HTTP_SRV, arity: ONE, apply: tls.pemFile("sslCertificateKey") },
  { name: "acme_issuer", contexts: HTTP, arity: ONE, repeatable: true, block: true, open: acme.acmeIssuerBlock },
  { name: "uri", contexts: ACME, arity: ONE, apply: acme.issuerUri },
  { name: "contact", contexts: ACME, arity: ONE, repeatable: true, apply: acme.issuerContact },
  { name: "state_path", contexts: ACME, arity: ONE, apply: pathSlot(ISSUER, "statePath", { off: true }) },
  { name: "account_key", contexts: ACME, arity: ONE, apply: acme.issuerAccountKey },
  { name: "accept_terms_of_service", contexts: ACME, arity: NONE, apply: acme.issuerAcceptTerms },
  { name: "ssl_trusted_certificate", contexts: ACME, arity: ONE, apply: pathSlot(ISSUER, "sslTrustedCertificate") },
  { name: "ssl_verify", contexts: ACME, arity: ONE, apply: acme.issuerSslVerify },
  { name: "challenge", contexts: ACME, arity: ONE, apply: acme.issuerChallenge },
  { name: "external_account_key", contexts: ACME, arity: TWO, apply: acme.issuerExternalAccountKey },
  { name: "acme_certificate", contexts: SRV, arity: ONE_OR_MORE, apply: acme.acmeCertificate },
  { name: "ssl_handshake_timeout", contexts: HTTP_SRV, arity: ONE, apply: timeSlot(SETTINGS, "sslHandshakeTimeout", { min: 1 }) },

  // Compression.
  { name: "gzip", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "gzip") },
  { name: "gzip_types", contexts: ANY, arity: ONE_OR_MORE, apply: zip.compressionTypes("gzipTypes") },
  { name: "gzip_comp_level", contexts: ANY, arity: ONE, apply: numberSlot(SETTINGS, "gzipCompLevel", { min: 1, max: 9 }) },
  { name: "gzip_min_length", contexts: ANY, arity: ONE, apply: sizeSlot(SETTINGS, "gzipMinLength") },
  { name: "gzip_vary", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "gzipVary") },
  { name: "gzip_proxied", contexts: ANY, arity: ONE_OR_MORE, apply: zip.gzipProxied },
  { name: "gzip_disable", contexts: ANY, arity: ONE_OR_MORE, apply: zip.gzipDisable },
  { name: "gzip_http_version", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "gzipHttpVersion", ["1.0", "1.1"]) },
  { name: "gzip_static", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "gzipStatic", ["off", "on", "always"]) },
  { name: "brotli", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "brotli") },
  { name: "brotli_types", contexts: ANY, arity: ONE_OR_MORE, apply: zip.compressionTypes("brotliTypes") },
  { name: "brotli_comp_level", contexts: ANY, arity: ONE, apply: numberSlot(SETTINGS, "brotliCompLevel", { min: 0, max: 11 }) },
  { name: "brotli_min_length", contexts: ANY, arity: ONE, apply: sizeSlot(SETTINGS, "brotliMinLength") },
  { name: "brotli_static", contexts: ANY, arity: ONE, apply: enumSlot(SETTINGS, "brotliStatic", ["off", "on", "always"]) },

  // Sessions.
  { name: "session", contexts: ANY, arity: ONE, apply: flagSlot(SETTINGS, "session") },
  { name: "session_store", contexts: SRV, arity: ONE, apply: set.sessionStore },
  { name: "session_timeout", contexts: SRV, arity: ONE, apply: timeSlot(SESSIONS, "timeout", { min: 1, max: YEAR_MS }) },
  { name: "session_max", contexts: SRV, arity: ONE, apply: numberSlot(SESSIONS, "max") },
  { name: "session_cookie_max_age", contexts: SRV, arity: ONE, apply: timeSlot(SESSIONS, "cookieMaxAge", { max: YEAR_MS, seconds: true }) },
  { name: "session_cookie_secure", contexts: SRV, arity: ONE, apply: flagSlot(SESSIONS, "cookieSecure") },
  // nginx directives accepted without effect (each says so once).
  ...ACCEPTED_DIRECTIVES,
];

/** Every directive by name; a name may have one meaning per context (`server`). */
export const DIRECTIVES: ReadonlyMap<string, readonly Directive[]> = Map.groupBy(
  TABLE,
  (d) => d.name,
);
