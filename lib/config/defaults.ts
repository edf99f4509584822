/** Built-in values for everything a configuration may leave out. */
import { join } from "node:path";
import { DEFAULT_CHARSET_TYPES } from "../http/mime.ts";
import { COMBINED } from "../log/log_format.ts";
import type {
  ErrorLogSettings,
  Limits,
  ListenAddress,
  SessionSettings,
  Settings,
} from "./types.ts";

/** The address a server without `listen` gets. */
export const DEFAULT_LISTEN: Readonly<ListenAddress> = { host: "0.0.0.0", port: 8080 };

/** nginx's defaults where nginx has the limit (large_client_header_buffers 4 8k, …). */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  workerConnections: 1024,
  maxRequestLine: 8 * 1024,
  maxHeadBytes: 4 * 8 * 1024,
  maxHeaders: 100,
  keepaliveRequests: 1000,
  cgiMaxProcesses: 64,
};

/** Sessions: kept in memory, idle for 30 minutes at most, 10000 at most, browser-session cookie. */
export const DEFAULT_SESSIONS: Readonly<SessionSettings> = {
  store: null,
  timeout: 30 * 60_000,
  max: 10_000,
  cookieMaxAge: 0,
  cookieSecure: false,
};

/** Errors of level `error` and above go to stderr. */
export const DEFAULT_ERROR_LOG: Readonly<ErrorLogSettings> = { target: "stderr", level: "error" };

/** The settings the main level starts from; `root` is `html` next to the configuration file. */
export function defaultSettings(configDir: string): Settings {
  return {
    root: join(configDir, "html"),
    index: ["index.html"],
    autoindex: false,
    allowMethods: null,
    clientMaxBodySize: 1024 * 1024,
    errorPages: new Map(),
    uploadStore: null,
    cgi: new Map(),
    cgiTimeout: 30_000,
    session: false,
    // Timeouts: 60 s each, keep-alive 75 s, like nginx.
    clientHeaderTimeout: 60_000,
    clientBodyTimeout: 60_000,
    keepaliveTimeout: 75_000,
    sendTimeout: 60_000,
    accessLogs: [{ path: "stdout", format: COMBINED }],
    types: null,
    defaultType: "text/plain",
    charset: null,
    charsetTypes: [...DEFAULT_CHARSET_TYPES],
    access: [],
    satisfy: "all",
    authBasic: null,
    authBasicUserFile: null,
    limitReq: [],
    limitReqStatus: 503,
    limitReqLogLevel: "error",
    limitReqDryRun: false,
    limitConn: [],
    limitConnStatus: 503,
    limitConnLogLevel: "error",
    limitConnDryRun: false,
    addHeaders: [],
    expires: null,
    serverTokens: true,
    etag: true,
    ifModifiedSince: "exact",
    proxySetHeaders: [],
    proxyHideHeaders: [],
    proxyPassHeaders: [],
    proxyHttpVersion: "1.0",
    proxyConnectTimeout: 60_000,
    proxyReadTimeout: 60_000,
    proxySendTimeout: 60_000,
    proxyBuffering: true,
    proxyRedirect: [{ kind: "default" }],
    proxyInterceptErrors: false,
    proxyNextUpstream: ["error", "timeout"],
    proxyNextUpstreamTries: 0,
    proxyNextUpstreamTimeout: 0,
    gzip: false,
    brotli: false,
    gzipTypes: ["text/html"],
    brotliTypes: ["text/html"],
    gzipCompLevel: 1,
    brotliCompLevel: 6,
    gzipMinLength: 20,
    brotliMinLength: 20,
    gzipVary: false,
    gzipProxied: ["off"],
    gzipDisable: [],
    gzipHttpVersion: "1.1",
    sslCertificate: null,
    sslCertificateKey: null,
    sslHandshakeTimeout: 60_000,
    gzipStatic: "off",
    brotliStatic: "off",
  };
}
