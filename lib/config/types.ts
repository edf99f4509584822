/** The configuration after parsing and merging: what the server runs on. */
import type { AccessRule } from "../access/cidr.ts";
import type { MimeTypes } from "../http/mime.ts";
import type { LogFormat } from "../log/log_format.ts";
import type { Template } from "../variables/template.ts";

/** One `listen` address. `host` is an IPv4/IPv6 literal or a name such as `localhost`. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** A `listen` directive: the address and its parameters. */
export interface Listen extends ListenAddress {
  /** `default_server`: this server is the address's default (else the first server is). */
  defaultServer: boolean;
  /** `ssl`: connections to this address speak TLS (an address is TLS when any listen says so). */
  ssl: boolean;
}

/** Where in the config file a directive or block was written. */
export interface SourcePos {
  file: string;
  line: number;
}

/** `return code [url-or-text];` */
export interface ReturnDirective {
  code: number;
  /** A URL for 301/302/303/307/308, a text body for other codes; absent when not given. */
  text?: Template;
}

/** `rewrite regex replacement [last|break|redirect|permanent];` */
export interface RewriteDirective {
  regex: RegExp;
  /** The new URI, which may hold the expression's groups ($1…$9) and other variables. */
  replacement: Template;
  /** Absent: go on with the next directive, and search the location again afterwards. */
  flag?: "last" | "break" | "redirect" | "permanent";
}

/**
 * What nginx's rewrite module runs in a block, in the order written: `rewrite` and `return`
 * (a `return` ends the list).
 */
export type RewriteStep =
  | { kind: "return"; return: ReturnDirective }
  | { kind: "rewrite"; rewrite: RewriteDirective };

/** `try_files file … uri|=code;` */
export interface TryFiles {
  /** Paths to test (a trailing "/" tests for a directory), with variables. */
  files: Template[];
  /** When none exists: a URI (or @name) to redirect to internally, or a status. */
  fallback: { uri: Template } | { code: number };
}

/** `error_page code … [=[response]] uri;` for one code. */
export interface ErrorPage {
  /** A local URI, `@name`, or an absolute URL (then a 302 to it). */
  uri: string;
  /**
   * The status of the answer: the error's (absent), the page's own response's (`=`), or the one
   * given (`=200`).
   */
  status?: number | "page";
}

/**
 * Settings every level may hold (main → server → location), as nginx's per-location
 * configuration does: a level that does not set one inherits it from the level above.
 */
export interface Settings {
  /** Absolute directory; the whole URI is appended to it (nginx `root`). */
  root: string;
  index: string[];
  autoindex: boolean;
  /** Upper-case method names, or null when the directive is absent (every method goes to the handlers). */
  allowMethods: string[] | null;
  /** Bytes; 0 means unlimited. Default 1 MiB, like nginx. */
  clientMaxBodySize: number;
  /** Status code → the page to serve for it. */
  errorPages: Map<number, ErrorPage>;
  /** Absolute directory for uploads, or null when uploads are off. */
  uploadStore: string | null;
  /** File extension with its dot (".php") → the interpreter (a path, or a name found on PATH). */
  cgi: Map<string, string>;
  /** Milliseconds a CGI script may take to start answering, and between two pieces of output. */
  cgiTimeout: number;
  /** `session on`: CGI scripts here get a server-side session (SESSION_ID, SESSION_FILE). */
  session: boolean;
  /** Milliseconds for the whole request head to arrive. */
  clientHeaderTimeout: number;
  /** Milliseconds between two reads of a request body. */
  clientBodyTimeout: number;
  /** Milliseconds an idle keep-alive connection is kept; 0 turns keep-alive off. */
  keepaliveTimeout: number;
  /** Milliseconds one write to the client may take. */
  sendTimeout: number;
  /** `access_log` lines: where each goes and in what format; none for `access_log off`. */
  accessLogs: AccessLogSettings[];
  /** `types { }`: extension (lower case, no dot) → type; null for the built-in table. */
  types: ReadonlyMap<string, string> | null;
  /** `default_type` (nginx's default: text/plain). */
  defaultType: string;
  /** `charset name|off` (null: off). */
  charset: string | null;
  /** `charset_types`. */
  charsetTypes: string[];
  /** `allow` and `deny` rules, in order (the first that matches decides). */
  access: AccessRule[];
  /** `satisfy`: whether address rules and auth_basic must both pass (all) or either (any). */
  satisfy: "all" | "any";
  /** `auth_basic` realm, or null for `auth_basic off`. */
  authBasic: string | null;
  /** `auth_basic_user_file`, an absolute path, or null. */
  authBasicUserFile: string | null;
  /** `limit_req` lines. */
  limitReq: LimitReqSettings[];
  limitReqStatus: number;
  limitReqLogLevel: LogLevel;
  limitReqDryRun: boolean;
  /** `limit_conn` lines. */
  limitConn: LimitConnSettings[];
  limitConnStatus: number;
  limitConnLogLevel: LogLevel;
  limitConnDryRun: boolean;
  /** `add_header` lines (inherited only by a level that has none). */
  addHeaders: AddHeader[];
  /** `expires`, or null for `expires off`. */
  expires: Expires | null;
  /** `server_tokens`: the Server header names the version ("on", nginx's default) or not. */
  serverTokens: boolean;
  /** `etag`: static files carry an ETag. */
  etag: boolean;
  /** `if_modified_since`: how If-Modified-Since is compared with Last-Modified. */
  ifModifiedSince: "off" | "exact" | "before";
  /** `proxy_set_header` lines (an empty value: the field is not sent). */
  proxySetHeaders: [name: string, value: Template][];
  /** `proxy_hide_header`: upstream fields not passed on, besides nginx's defaults. */
  proxyHideHeaders: string[];
  /** `proxy_pass_header`: default-hidden upstream fields passed on after all. */
  proxyPassHeaders: string[];
  /** `proxy_http_version` (1.0, nginx's default, unless the upstream keeps connections alive). */
  proxyHttpVersion: "1.0" | "1.1";
  proxyConnectTimeout: number;
  proxyReadTimeout: number;
  proxySendTimeout: number;
  /** `proxy_buffering`: accepted; answers always stream with back-pressure. */
  proxyBuffering: boolean;
  /** `proxy_redirect`: how upstream `Location` and `Refresh` fields are rewritten. */
  proxyRedirect: "off" | ProxyRedirectRule[];
  /** `proxy_intercept_errors`: upstream answers >= 300 get the location's error_page. */
  proxyInterceptErrors: boolean;
  /** `proxy_next_upstream`: what makes a request try the next server. */
  proxyNextUpstream: NextUpstream[];
  /** `proxy_next_upstream_tries` (0: all servers) and `proxy_next_upstream_timeout` (0: none). */
  proxyNextUpstreamTries: number;
  proxyNextUpstreamTimeout: number;
  /** `gzip` and `brotli`: compress eligible responses on the fly. */
  gzip: boolean;
  brotli: boolean;
  /** `gzip_types`, `brotli_types`: MIME types (lower case, no parameters), `*` for any. */
  gzipTypes: string[];
  brotliTypes: string[];
  /** `gzip_comp_level` (1–9), `brotli_comp_level` (0–11). */
  gzipCompLevel: number;
  brotliCompLevel: number;
  /** `gzip_min_length`, `brotli_min_length`: bytes; a shorter body of known length goes as is. */
  gzipMinLength: number;
  brotliMinLength: number;
  /** `gzip_vary`: `Vary: Accept-Encoding` on every response of an eligible type. */
  gzipVary: boolean;
  /** `gzip_proxied`: which requests that came through a proxy (`Via`) may get compression. */
  gzipProxied: GzipProxied[];
  /** `gzip_disable`: User-Agents that never get compression (`msie6`, or expressions). */
  gzipDisable: ("msie6" | RegExp)[];
  /** `gzip_http_version`: the lowest request version that gets compression. */
  gzipHttpVersion: "1.0" | "1.1";
  /** `ssl_certificate` and `ssl_certificate_key`: PEM files, or the server's ACME certificate. */
  sslCertificate: PemSource | null;
  sslCertificateKey: PemSource | null;
  /** `ssl_handshake_timeout`: how long a TLS handshake may take. */
  sslHandshakeTimeout: number;
  /** `gzip_static` and `brotli_static`: serve `file.gz` / `file.br` beside `file`. */
  gzipStatic: "off" | "on" | "always";
  brotliStatic: "off" | "on" | "always";
}

/**
 * A certificate's or key's PEM: a file (an absolute path), or `$acme_certificate` /
 * `$acme_certificate_key`, what the server's `acme_certificate` obtained.
 */
export type PemSource = ({ kind: "file"; path: string } | { kind: "acme" }) & { pos: SourcePos };

/** What `gzip_proxied` may name. */
export type GzipProxied =
  | "off"
  | "expired"
  | "no-cache"
  | "no-store"
  | "private"
  | "no_last_modified"
  | "no_etag"
  | "auth"
  | "any";

/**
 * One `proxy_redirect` line: `default` (the location's proxy_pass URL becomes its own path), or a
 * prefix and what replaces it.
 */
export type ProxyRedirectRule =
  | { kind: "default" }
  | { kind: "prefix"; from: Template; to: Template };

/** The cases `proxy_next_upstream` names. */
export type NextUpstream =
  | "error"
  | "timeout"
  | "invalid_header"
  | "http_500"
  | "http_502"
  | "http_503"
  | "http_504"
  | "http_403"
  | "http_404"
  | "http_429"
  | "non_idempotent";

/** One `server` of an `upstream` block (or the one server a proxy_pass names). */
export interface UpstreamServer {
  /** A TCP address, or a Unix socket's path. */
  address: { host: string; port: number } | { path: string };
  /** As logs show it: `127.0.0.1:8080`, `unix:/run/app.sock`. */
  text: string;
  weight: number;
  maxFails: number;
  /** Milliseconds: the window max_fails counts in, and how long the server is then skipped. */
  failTimeout: number;
  backup: boolean;
  down: boolean;
}

/** `upstream name { … }` */
export interface UpstreamSettings {
  name: string;
  servers: UpstreamServer[];
  /** Idle connections kept per worker (`keepalive N`; 0: none, nginx's default without it). */
  keepalive: number;
  keepaliveTimeout: number;
  keepaliveRequests: number;
  /** Where the block is (or the proxy_pass that made it). */
  pos: SourcePos;
}

/** `proxy_pass http://host[:port][/uri];` or `http://upstream[/uri]` or `http://unix:/path:[/uri]` */
export interface ProxyPass {
  /** As written. */
  url: string;
  /** The upstream block it names, or the one it makes for a single server. */
  upstream: UpstreamSettings;
  /** The URI part (replacing the location's prefix), or null: the request's URI as it is. */
  uri: string | null;
  /** `$proxy_host`: the upstream's name, or the host with its port when not 80. */
  host: string;
  /** `$proxy_port`. */
  port: number;
}

/** `access_log path [format];` */
export interface AccessLogSettings {
  /** A file path, or "stdout". */
  path: string;
  format: LogFormat;
}

/** `add_header name value [always];` */
export interface AddHeader {
  name: string;
  value: Template;
  /** Added whatever the status, not only to 2xx and redirects. */
  always: boolean;
}

/** `expires [modified] time|epoch|max;` */
export type Expires =
  | { kind: "epoch" }
  | { kind: "max" }
  /** `ms` from now, or from the file's modification time with `modified`; negative: in the past. */
  | { kind: "time"; ms: number; modified: boolean };

/** `limit_req zone=name [burst=N] [nodelay | delay=N];` */
export interface LimitReqSettings {
  zone: string;
  burst: number;
  delay: number | "nodelay";
  pos: SourcePos;
}

/** `limit_conn zone number;` */
export interface LimitConnSettings {
  zone: string;
  max: number;
  pos: SourcePos;
}

/** `limit_req_zone key zone=name:size rate=r;` or `limit_conn_zone key zone=name:size;` */
export interface ZoneSettings {
  name: string;
  /** The key of each request (`$binary_remote_addr`): an empty one is not limited. */
  key: Template;
  /** States the zone holds (from its size). */
  capacity: number;
  /** limit_req only: requests per 1000 s. */
  rate?: number;
}

/** What a merged block derives from its settings once, for every request. */
export interface Derived {
  /** The content types of files here (types, default_type, charset). */
  mime: MimeTypes;
}

/**
 * How a location matches, as written: "" a prefix, "=" exactly, "^~" a prefix that stops the
 * search for regular expressions, "~" and "~*" a regular expression (case-insensitive with `*`),
 * "@" a named location (reached only by error_page and try_files).
 */
export type LocationModifier = "" | "=" | "^~" | "~" | "~*" | "@";

export interface LocationConfig extends Settings, Derived {
  /** The URI prefix or exact URI, the regular expression as written, or the name with its "@". */
  path: string;
  modifier: LocationModifier;
  /** The compiled expression of a `~` or `~*` location, else null. */
  regex: RegExp | null;
  /** Prefix and exact locations nested in this one, sorted for matching (exact, then longest). */
  locations: LocationConfig[];
  /** Regular-expression locations nested in this one, in the order of the file. */
  regexes: LocationConfig[];
  /** Absolute directory replacing the matched prefix (nginx `alias`), or null. */
  alias: string | null;
  /**
   * The root (or alias) with symbolic links resolved ($realpath_root): resolved by verifyConfig,
   * the root as written until then or when it does not exist.
   */
  realRoot: string;
  /** The location's `rewrite` and `return` directives, in order (not inherited). */
  script: RewriteStep[];
  /** `try_files` (not inherited; the implicit `location /` takes the server's). */
  tryFiles: TryFiles | null;
  /** `proxy_pass` (not inherited: a location's content handler). */
  proxyPass: ProxyPass | null;
  pos: SourcePos;
}

export interface ServerConfig extends Settings, Derived {
  listen: Listen[];
  /** Lower-cased names; may be empty. */
  serverNames: string[];
  /** Prefix and exact locations, sorted for matching (exact, then longest prefix first). */
  locations: LocationConfig[];
  /** Regular-expression locations, in the order of the file. */
  regexes: LocationConfig[];
  /** Named locations (`location @name`), by name with its "@". */
  named: Map<string, LocationConfig>;
  /** The server's `rewrite` and `return` directives, in order, run before a location applies. */
  script: RewriteStep[];
  /** The configuration's limits (one object shared by every server). */
  limits: Limits;
  /** How this server keeps the sessions of its `session on` locations. */
  sessions: SessionSettings;
  /** `acme_certificate`: the certificate obtained for this server, or null. */
  acme: AcmeCertificateSettings | null;
  pos: SourcePos;
}

/** The session directives of a server. */
export interface SessionSettings {
  /**
   * Where sessions are kept: an absolute directory (`session_store dir`), a `redis://` or
   * `rediss://` URL (`session_store redis://…`), or null to keep them in memory.
   */
  store: string | null;
  /** Idle timeout of a session in milliseconds (`session_timeout`). */
  timeout: number;
  /** Most sessions kept at once; past it the least recently used is evicted (`session_max`). */
  max: number;
  /** Max-Age of the session cookie in seconds, or 0 for a browser-session cookie. */
  cookieMaxAge: number;
  /** The session cookie gets `Secure` (`session_cookie_secure on`, behind a TLS proxy). */
  cookieSecure: boolean;
}

/** Limits for the whole server (main context), enforced by the connection driver. */
export interface Limits {
  /** Open client connections at most; more are answered 503 and closed. */
  workerConnections: number;
  /** Longest request line (414 beyond): the size of `large_client_header_buffers`. */
  maxRequestLine: number;
  /** Largest request head (431 beyond): number × size of `large_client_header_buffers`. */
  maxHeadBytes: number;
  /** Most header fields in one request (431 beyond). */
  maxHeaders: number;
  /** Requests served on one connection before it is closed. */
  keepaliveRequests: number;
  /** CGI scripts running at once at most; more are answered 503. */
  cgiMaxProcesses: number;
}

/** Severity of an error-log line, as nginx names them, most severe last. */
export type LogLevel = "debug" | "info" | "notice" | "warn" | "error" | "crit" | "alert" | "emerg";

/** `error_log path [level];` */
export interface ErrorLogSettings {
  /** A file path, or "stderr". */
  target: string;
  /** Lines below this level are not written. */
  level: LogLevel;
}

/**
 * `acme_issuer name { … }` (nginx's ngx_http_acme_module): a CA to obtain certificates from over
 * ACME (RFC 8555), with the account the server keeps there.
 */
export interface AcmeIssuerSettings {
  name: string;
  /** `uri`: the CA's directory URL (mandatory). */
  uri: string | null;
  /** `contact`: the account's contact URLs (`mailto:` added to a bare address). */
  contact: string[];
  /** `state_path`: absolute directory for the account key and certificates; null: `off`. */
  statePath: string | null;
  /** `account_key file`: an existing P-256 key (PEM); null: generated (and stored). */
  accountKeyFile: string | null;
  /** `accept_terms_of_service`. */
  acceptTermsOfService: boolean;
  /** `ssl_trusted_certificate`: PEM roots for the CA's HTTPS instead of the system's. */
  sslTrustedCertificate: string | null;
  /** `external_account_key kid file|data:key` (RFC 8555 §7.3.4). */
  externalAccountKey: { kid: string; key: string } | null;
  pos: SourcePos;
}

/** `acme_certificate issuer [names…];` in a server. */
export interface AcmeCertificateSettings {
  issuer: string;
  /** The names ordered: the directive's, else the server's server_names (no wildcards). */
  names: string[];
  pos: SourcePos;
}

export interface Config {
  /** Absolute path of the file the configuration was read from. */
  file: string;
  servers: ServerConfig[];
  /** `acme_issuer` blocks, by name. */
  acmeIssuers: Map<string, AcmeIssuerSettings>;
  limits: Limits;
  errorLog: ErrorLogSettings;
  /** `pid file`: absolute path of the pid file; absent: `logs/webserv.pid` beside `file`. */
  pid?: string;
  /** `worker_processes`: how many processes serve (1: this one, no supervisor). */
  workerProcesses: number | "auto";
  /** `upstream` blocks, by name. */
  upstreams: Map<string, UpstreamSettings>;
  /** `limit_req_zone`s and `limit_conn_zone`s, by name. */
  requestZones: Map<string, ZoneSettings>;
  connectionZones: Map<string, ZoneSettings>;
  /**
   * Checks that need the file system or the resolver (a directory exists, an interpreter is
   * found, a host resolves): run by `verifyConfig()`, which `loadConfig()` and `-t` call.
   */
  checks: DeferredCheck[];
  /** `file:line: message` for nginx directives accepted without effect (printed at start-up). */
  notices: string[];
}

/**
 * A check made after parsing; resolves to a message, or null when all is well. An `error` stops
 * the configuration from loading; a `warning` is reported and the configuration used (a CGI
 * interpreter that is missing only fails the requests for its scripts).
 */
export interface DeferredCheck {
  pos: SourcePos;
  severity: "error" | "warning";
  run(): Promise<string | null>;
}
