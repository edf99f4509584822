/**
 * Config and request fixtures for unit tests: what a merged config and a parsed request look like,
 * built from the real defaults so that a new field needs an edit here only. Each test passes, as
 * overrides, just the values it depends on.
 */
import { Http01Challenges } from "../../lib/acme/http01.ts";
import { dirname } from "node:path";
import { CompressedCache } from "../../lib/compression/cache.ts";
import { Upstreams } from "../../lib/proxy/upstreams.ts";
import { UserFiles } from "../../lib/access/user_files.ts";
import { makeZones } from "../../lib/access/zones.ts";
import { CgiPool } from "../../lib/cgi/runner.ts";
import {
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_SESSIONS,
  defaultSettings,
} from "../../lib/config/defaults.ts";
import type {
  Config,
  LocationConfig,
  LogLevel,
  ReturnDirective,
  RewriteStep,
  ServerConfig,
  SourcePos,
} from "../../lib/config/types.ts";
import { FileCache } from "../../lib/files/file_cache.ts";
import { MimeTypes } from "../../lib/http/mime.ts";
import type { BodyReader, RequestHead } from "../../lib/http/request.ts";
import { ErrorLog } from "../../lib/log/error_log.ts";
import type { RequestContext, Services } from "../../lib/phases/context.ts";
import { decodePath } from "../../lib/routing/resolve_path.ts";
import { SessionHubs } from "../../lib/session/hubs.ts";
import { compileTemplate, type Template } from "../../lib/variables/template.ts";

/** The file the fixture config pretends to come from; `root` defaults to a missing directory. */
const CONFIG_FILE = "/nonexistent/test.conf";

function testPos(): SourcePos {
  return { file: CONFIG_FILE, line: 1 };
}

/** A `location /` with the built-in defaults, as the merge step makes it, plus `overrides`. */
export function testLocation(overrides: Partial<LocationConfig> = {}): LocationConfig {
  const settings = defaultSettings(dirname(CONFIG_FILE));
  return {
    ...settings,
    mime: MimeTypes.of(settings),
    path: "/",
    modifier: "",
    regex: null,
    locations: [],
    regexes: [],
    alias: null,
    realRoot: settings.root,
    script: [],
    tryFiles: null,
    proxyPass: null,
    pos: testPos(),
    ...overrides,
  };
}

/**
 * A server with the built-in defaults (listen, timeouts, limits, sessions) holding `locations`
 * as given (pass them sorted, as the merge step would). Its access log is off.
 */
export function testServer(
  locations: LocationConfig[] = [testLocation()],
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const settings = defaultSettings(dirname(CONFIG_FILE));
  return {
    ...settings,
    mime: MimeTypes.of(settings),
    listen: [{ ...DEFAULT_LISTEN, defaultServer: false, ssl: false }],
    serverNames: [],
    locations,
    regexes: [],
    named: new Map(),
    accessLogs: [],
    script: [],
    limits: { ...DEFAULT_LIMITS },
    sessions: { ...DEFAULT_SESSIONS },
    acme: null,
    pos: testPos(),
    ...overrides,
  };
}

/**
 * An HTTP/1.1 `GET /` head without headers, plus `overrides`. Unless given, `rawPath` and `query`
 * are split from the target ("/a%20b?x=1" → "/a%20b" and "x=1").
 */
export function testHead(overrides: Partial<RequestHead> = {}): RequestHead {
  const target = overrides.target ?? "/";
  const q = target.indexOf("?");
  return {
    method: "GET",
    target,
    rawPath: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? "" : target.slice(q + 1),
    minor: 1,
    headers: [],
    ...overrides,
  };
}

/** A body of length 0 (what a request without one gets). */
export function emptyBody(): BodyReader {
  return { length: 0, read: () => Promise.resolve(null) };
}

/** How `bodyOf` hands out its bytes. */
export interface BodyOptions {
  /** Bytes per read; 16 KiB by default. */
  chunkSize?: number;
  /** Throw `error` once this many bytes have been handed out. */
  failAt?: number;
  error?: unknown;
  /** Declared length; null for chunked. Defaults to the data length. */
  length?: number | null;
  /** Called before each read with the number of bytes handed out so far. */
  beforeRead?: (offset: number) => Promise<void> | void;
}

/**
 * A BodyReader over bytes. Like the connection's, it hands out views of one reused buffer, so a
 * reader that keeps a piece past the next read sees it overwritten.
 */
export function bodyOf(data: Uint8Array, options: BodyOptions = {}): BodyReader {
  const chunkSize = options.chunkSize ?? 16 * 1024;
  const buffer = new Uint8Array(chunkSize);
  let offset = 0;
  return {
    length: options.length === undefined ? data.length : options.length,
    async read() {
      await options.beforeRead?.(offset);
      if (options.failAt !== undefined && offset >= options.failAt) throw options.error;
      if (offset >= data.length) return null;
      let n = Math.min(chunkSize, data.length - offset);
      if (options.failAt !== undefined) n = Math.min(n, options.failAt - offset);
      buffer.fill(0xee);
      buffer.set(data.subarray(offset, offset + n));
      offset += n;
      return buffer.subarray(0, n);
    },
  };
}

/** Lines an error log received, with their level. */
export type LoggedLines = [level: LogLevel, line: string][];

/**
 * The services of a configuration for handler tests: a fresh file cache (or `files`), a CGI pool
 * without limit, no sessions, and an error log that keeps its lines in `lines` (level debug).
 */
export async function testServices(
  overrides: Partial<Services> = {},
  lines: LoggedLines = [],
): Promise<Services> {
  const config: Config = {
    file: CONFIG_FILE,
    servers: [],
    limits: { ...DEFAULT_LIMITS },
    errorLog: { target: "stderr", level: "debug" },
    checks: [],
    notices: [],
    requestZones: new Map(),
    connectionZones: new Map(),
    upstreams: new Map(),
    acmeIssuers: new Map(),
    workerProcesses: 1,
  };
  return {
    files: new FileCache(),
    compressed: new CompressedCache(),
    cgi: new CgiPool(),
    zones: makeZones(config),
    userFiles: new UserFiles(),
    upstreams: new Upstreams(),
    sessions: await SessionHubs.open(config),
    acme: new Http01Challenges(),
    log: memoryLog(lines),
    ...overrides,
  };
}

/** An error log that appends what it writes to `lines`. */
export function memoryLog(lines: LoggedLines = []): ErrorLog {
  return new ErrorLog((line) => {
    const level = /\[(\w+)\]/.exec(line)?.[1] as LogLevel;
    lines.push([level, line.replace(/^.*?: /, "").trimEnd()]);
  }, "debug");
}

/**
 * A handler's context, plus `overrides`: by default `GET /` with an empty body in
 * `testLocation()` of `testServer()`, from 127.0.0.1:50000 to 127.0.0.1:8080, Host "localhost".
 * Unless given, `path` is the head's rawPath decoded, and `server` holds just `location`.
 */
export function testContext(overrides: Partial<RequestContext> = {}): RequestContext {
  const head = overrides.head ?? testHead();
  const location = overrides.location ?? testLocation();
  return {
    head,
    body: emptyBody(),
    path: overrides.path ?? decodedPath(head.rawPath),
    server: testServer([location]),
    location,
    remote: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
    local: { transport: "tcp", hostname: "127.0.0.1", port: 8080 },
    connection: 1,
    secure: false,
    host: "localhost",
    captures: [],
    services: TEST_SERVICES,
    state: { done: [], limitedReq: false, limitedConn: false, upstream: [] },
    ...overrides,
  };
}

/** Services shared by contexts that do not bring their own (a file cache, a CGI pool, a log). */
const TEST_SERVICES: Services = await testServices();

function decodedPath(rawPath: string): string {
  const path = decodePath(rawPath);
  if (path === null) throw new Error(`Bad test path "${rawPath}"`);
  return path;
}

/** The compiled form of a `return` text or any other value with variables. */
export function template(text: string): Template {
  const compiled = compileTemplate(text);
  if ("error" in compiled) throw new Error(compiled.error);
  return compiled;
}

/** The first `return` of a block's rewrite script (what `return` directives make), or null. */
export function returnOf(block: { script: RewriteStep[] }): ReturnDirective | null {
  for (const step of block.script) if (step.kind === "return") return step.return;
  return null;
}
