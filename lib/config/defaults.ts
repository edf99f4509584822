/** Built-in values for everything a configuration may leave out. */
import { join } from "node:path";
import type { HttpSettings, Limits, ListenAddress, SessionSettings, Timeouts } from "./types.ts";

/** The address a server without `listen` gets. */
export const DEFAULT_LISTEN: Readonly<ListenAddress> = { host: "0.0.0.0", port: 8080 };

/** Timeouts in milliseconds: 60 s each, keep-alive 75 s, like nginx. */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  clientHeader: 60_000,
  clientBody: 60_000,
  keepalive: 75_000,
  send: 60_000,
};

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

/** Where access logs go unless `access_log` says otherwise. */
export const DEFAULT_ACCESS_LOG = "stdout";

/** The settings a server starts from; `root` is `html` next to the configuration file. */
export function defaultSettings(configDir: string): HttpSettings {
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
  };
}
