/**
 * The directive table: every directive with where it may appear, how many arguments it takes,
 * whether it may repeat in one block, and the function that applies it to the draft. The generic
 * checks (context, arity, duplicates, block or not) live in evaluate.ts.
 */
import { isAbsolute, normalize, resolve } from "node:path";
import type { LocationDraft, MainDraft, ServerDraft } from "./draft.ts";
import { formatListen, parseListen } from "./listen.ts";
import { parseReturn } from "./return_directive.ts";
import type { HttpSettings, Limits, Timeouts } from "./types.ts";
import { parseSize, parseTime } from "./units.ts";

/** Where a directive is written: the top level, a `server { }` or a `location { }`. */
export type Context = "main" | "server" | "location";

/** The drafts a directive writes into; `server`/`location` are null outside those blocks. */
export interface Scope {
  context: Context;
  main: MainDraft;
  server: ServerDraft | null;
  location: LocationDraft | null;
}

/** What an apply function knows besides its arguments. */
export interface DirectiveEnv {
  /** Line of the directive. */
  line: number;
  /** Absolute directory of the configuration file: relative paths resolve against it. */
  dir: string;
  /** A ConfigError at the directive's line, to throw: `throw env.error("...")`. */
  error(message: string): Error;
}

interface DirectiveBase {
  name: string;
  contexts: readonly Context[];
  /** Smallest and largest number of arguments (Infinity: no limit). */
  arity: readonly [min: number, max: number];
  /** May appear more than once in one block. */
  repeatable: boolean;
}

/** `name args;` */
export interface SimpleDirective extends DirectiveBase {
  block: false;
  apply(scope: Scope, args: string[], env: DirectiveEnv): void;
}

/** `name args { ... }`: `open` returns the scope its children are applied in. */
export interface BlockDirective extends DirectiveBase {
  block: true;
  open(scope: Scope, args: string[], env: DirectiveEnv): Scope;
}

export type Directive = SimpleDirective | BlockDirective;

/** The largest timeout a timer can hold (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** Methods `allow_methods` accepts. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);

/** The innermost server or location draft (the directive table guarantees there is one). */
function blockOf(scope: Scope): ServerDraft | LocationDraft {
  const block = scope.location ?? scope.server;
  if (block === null) throw new Error(`No server block in context "${scope.context}"`);
  return block;
}

function settingsOf(scope: Scope): Partial<HttpSettings> {
  return blockOf(scope).settings;
}

function serverOf(scope: Scope): ServerDraft {
  if (scope.server === null) throw new Error(`No server block in context "${scope.context}"`);
  return scope.server;
}

function locationOf(scope: Scope): LocationDraft {
  if (scope.location === null) throw new Error(`No location block in context "${scope.context}"`);
  return scope.location;
}

/** `location /x`, `location = /x`, `location =/x`; `^~` is a plain prefix here (no regexes). */
function parseLocationArgs(args: string[]): { path: string; exact: boolean } | { error: string } {
  let [modifier = "", path = ""] = args.length === 2 ? args : ["", args[0]];
  const glued = args.length === 1 ? /^(=|\^~)(.+)$/.exec(path) : null;
  if (glued !== null) [modifier, path] = [glued[1]!, glued[2]!];
  if (modifier !== "" && modifier !== "=" && modifier !== "^~") {
    return { error: `invalid location modifier "${modifier}"` };
  }
  if (!path.startsWith("/")) {
    return { error: `invalid location "${path}", it must start with "/"` };
  }
  return { path, exact: modifier === "=" };
}

/** A simple directive allowed in `server` and `location` (once per block unless repeatable). */
function http(
  name: string,
  arity: readonly [number, number],
  apply: SimpleDirective["apply"],
  { repeatable = false } = {},
): SimpleDirective {
  return { name, contexts: ["server", "location"], arity, repeatable, block: false, apply };
}

/** A directive with one argument, once per block, in the given contexts. */
function single(
  name: string,
  contexts: readonly Context[],
  apply: (scope: Scope, value: string, env: DirectiveEnv) => void,
): SimpleDirective {
  return {
    name,
    contexts,
    arity: [1, 1],
    repeatable: false,
    block: false,
    apply: (scope, [value = ""], env) => apply(scope, value, env),
  };
}

/** A server-only directive with one argument. */
function serverOnly(
  name: string,
  apply: (scope: Scope, value: string, env: DirectiveEnv) => void,
): SimpleDirective {
  return single(name, ["server"], apply);
}

/** `client_header_timeout 60s;` and friends: server only. */
function timeout(name: string, field: keyof Timeouts): SimpleDirective {
  return serverOnly(name, (scope, value, env) => {
    const ms = parseTime(value);
    if (ms === null || ms > MAX_TIMEOUT) throw env.error(`"${name}" directive invalid value`);
    serverOf(scope).timeouts[field] = ms;
  });
}

/** `on` or `off` (any case), else nginx's error. */
function flag(name: string, value: string, env: DirectiveEnv): boolean {
  const lower = value.toLowerCase();
  if (lower !== "on" && lower !== "off") {
    throw env.error(`invalid value "${value}" in "${name}" directive, it must be "on" or "off"`);
  }
  return lower === "on";
}

/** A whole number from 1 to 999999999, else `invalid value "x" in "name" directive`. */
function positive(name: string, value: string, env: DirectiveEnv): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (n === 0) throw env.error(`invalid value "${value}" in "${name}" directive`);
  return n;
}

/** A main-context limit taking one positive whole number (`worker_connections 1024;`). */
function count(name: string, field: keyof Limits): SimpleDirective {
  return single(name, ["main"], (scope, value, env) => {
    (scope.main.limits ??= {})[field] = positive(name, value, env);
  });
}

/** `access_log off;` → null, `stdout` kept, anything else is a path. */
function accessLogValue(value: string, dir: string): string | null {
  if (value === "off") return null;
  if (value === "stdout") return "stdout";
  return resolve(dir, value);
}

const LIST: Directive[] = [
  count("worker_connections", "workerConnections"),
  count("max_headers", "maxHeaders"),
  count("keepalive_requests", "keepaliveRequests"),
  count("cgi_max_processes", "cgiMaxProcesses"),
  {
    name: "large_client_header_buffers",
    contexts: ["main"],
    arity: [2, 2],
    repeatable: false,
    block: false,
    apply(scope, [number = "", size = ""], env) {
      const n = /^\d{1,4}$/.test(number) ? Number(number) : 0;
      const bytes = parseSize(size);
      if (n === 0 || bytes === null || bytes < 64 || bytes > 1024 * 1024) {
        throw env.error('"large_client_header_buffers" directive invalid value');
      }
      scope.main.limits ??= {};
      scope.main.limits.maxRequestLine = bytes;
      scope.main.limits.maxHeadBytes = n * bytes;
    },
  },
  {
    name: "server",
    contexts: ["main"],
    arity: [0, 0],
    repeatable: true,
    block: true,
    open(scope, _args, env) {
      const server: ServerDraft = {
        settings: {},
        listen: [],
        serverNames: [],
        locations: [],
        timeouts: {},
        sessions: {},
        return: null,
        pos: { file: scope.main.file, line: env.line },
      };
      scope.main.servers.push(server);
      return { context: "server", main: scope.main, server, location: null };
    },
  },
  {
    name: "location",
    contexts: ["server"],
    arity: [1, 2],
    repeatable: true,
    block: true,
    open(scope, args, env) {
      const parsed = parseLocationArgs(args);
      if ("error" in parsed) throw env.error(parsed.error);
      const { path, exact } = parsed;
      const server = serverOf(scope);
      if (server.locations.some((l) => l.path === path && l.exact === exact)) {
        throw env.error(`duplicate location "${path}"`);
      }
      const location: LocationDraft = {
        path,
        exact,
        settings: {},
        alias: null,
        return: null,
        pos: { file: scope.main.file, line: env.line },
      };
      server.locations.push(location);
      return { context: "location", main: scope.main, server, location };
    },
  },
  {
    name: "access_log",
    contexts: ["main", "server"],
    arity: [1, 1],
    repeatable: false,
    block: false,
    apply(scope, [value = ""], env) {
      (scope.server ?? scope.main).accessLog = accessLogValue(value, env.dir);
    },
  },
  {
    name: "listen",
    contexts: ["server"],
    arity: [1, 1],
    repeatable: true,
    block: false,
    apply(scope, [value = ""], env) {
      const address = parseListen(value);
      if ("error" in address) throw env.error(address.error);
      const server = serverOf(scope);
      const text = formatListen(address);
      if (server.listen.some((a) => formatListen(a) === text)) {
        throw env.error(`a duplicate listen "${text}"`);
      }
      server.listen.push(address);
    },
  },
  {
    name: "server_name",
    contexts: ["server"],
    arity: [1, Infinity],
    repeatable: true,
    block: false,
    apply(scope, args) {
      const names = serverOf(scope).serverNames;
      for (const name of args.map((a) => a.toLowerCase())) {
        if (!names.includes(name)) names.push(name);
      }
    },
  },
  http("root", [1, 1], (scope, [dir = ""], env) => {
    if (scope.location?.alias != null) {
      throw env.error('"root" directive is duplicate, "alias" directive was specified earlier');
    }
    settingsOf(scope).root = resolve(env.dir, dir);
  }),
  {
    name: "alias",
    contexts: ["location"],
    arity: [1, 1],
    repeatable: false,
    block: false,
    apply(scope, [dir = ""], env) {
      const location = locationOf(scope);
      if (location.settings.root !== undefined) {
        throw env.error('"alias" directive is duplicate, "root" directive was specified earlier');
      }
      location.alias = resolve(env.dir, dir);
    },
  },
  http("index", [1, Infinity], (scope, args, env) => {
    if (args.includes("")) throw env.error('index "" in "index" directive is invalid');
    const settings = settingsOf(scope);
    settings.index = [...(settings.index ?? []), ...args];
  }, { repeatable: true }),
  http("autoindex", [1, 1], (scope, [value = ""], env) => {
    settingsOf(scope).autoindex = flag("autoindex", value, env);
  }),
  http("error_page", [2, Infinity], (scope, args, env) => {
    const uri = args[args.length - 1]!;
    const codes = args.slice(0, -1).map((text) => {
      if (!/^\d+$/.test(text)) throw env.error(`invalid value "${text}"`);
      const code = Number(text);
      if (code < 300 || code > 599) throw env.error(`value "${text}" must be between 300 and 599`);
      return code;
    });
    if (!uri.startsWith("/")) {
      throw env.error(`invalid URI "${uri}" in "error_page" directive, it must start with "/"`);
    }
    const settings = settingsOf(scope);
    settings.errorPages ??= new Map();
    for (const code of codes) settings.errorPages.set(code, uri);
  }, { repeatable: true }),
  http("client_max_body_size", [1, 1], (scope, [value = ""], env) => {
    const size = parseSize(value);
    if (size === null) throw env.error('"client_max_body_size" directive invalid value');
    settingsOf(scope).clientMaxBodySize = size;
  }),
  timeout("client_header_timeout", "clientHeader"),
  timeout("client_body_timeout", "clientBody"),
  timeout("keepalive_timeout", "keepalive"),
  timeout("send_timeout", "send"),
  http("return", [1, 2], (scope, args, env) => {
    const directive = parseReturn(args);
    if ("error" in directive) throw env.error(directive.error);
    blockOf(scope).return = directive;
  }),
  http("allow_methods", [1, Infinity], (scope, args, env) => {
    const methods: string[] = [];
    for (const arg of args) {
      const method = arg.toUpperCase();
      if (!KNOWN_METHODS.has(method)) {
        throw env.error(`invalid method "${arg}" in "allow_methods" directive`);
      }
      if (!methods.includes(method)) methods.push(method);
    }
    // GET implies HEAD, as in nginx's limit_except.
    if (methods.includes("GET") && !methods.includes("HEAD")) methods.push("HEAD");
    settingsOf(scope).allowMethods = methods;
  }),
  http("cgi_timeout", [1, 1], (scope, [value = ""], env) => {
    const ms = parseTime(value);
    if (ms === null || ms === 0 || ms > MAX_TIMEOUT) {
      throw env.error('"cgi_timeout" directive invalid value');
    }
    settingsOf(scope).cgiTimeout = ms;
  }),
  http("session", [1, 1], (scope, [value = ""], env) => {
    settingsOf(scope).session = flag("session", value, env);
  }),
  serverOnly("session_store", (scope, value, env) => {
    // `memory` (the default) or a directory, relative to the config.
    serverOf(scope).sessions.store = value === "memory" ? null : resolve(env.dir, value);
  }),
  serverOnly("session_timeout", (scope, value, env) => {
    const ms = parseTime(value);
    if (ms === null || ms === 0) throw env.error('"session_timeout" directive invalid value');
    serverOf(scope).sessions.timeout = ms;
  }),
  serverOnly("session_max", (scope, value, env) => {
    serverOf(scope).sessions.max = positive("session_max", value, env);
  }),
  serverOnly("session_cookie_max_age", (scope, value, env) => {
    const ms = parseTime(value);
    if (ms === null) throw env.error('"session_cookie_max_age" directive invalid value');
    serverOf(scope).sessions.cookieMaxAge = Math.floor(ms / 1000);
  }),
  serverOnly("session_cookie_secure", (scope, value, env) => {
    serverOf(scope).sessions.cookieSecure = flag("session_cookie_secure", value, env);
  }),
  http("upload_store", [1, 1], (scope, [dir = ""], env) => {
    settingsOf(scope).uploadStore = dir === "off" ? null : resolve(env.dir, dir);
  }),
  http("cgi", [2, 2], (scope, [ext = "", interpreter = ""], env) => {
    if (!/^\.[^./\s]+$/.test(ext)) {
      throw env.error(`invalid extension "${ext}" in "cgi" directive, it must start with "."`);
    }
    if (interpreter === "") throw env.error('invalid interpreter "" in "cgi" directive');
    const settings = settingsOf(scope);
    settings.cgi ??= new Map();
    if (settings.cgi.has(ext)) throw env.error(`duplicate extension "${ext}" in "cgi" directive`);
    // Absolute: kept (normalised); with a "/": relative to the config; a bare name: found on PATH.
    const path = isAbsolute(interpreter)
      ? normalize(interpreter)
      : interpreter.includes("/")
      ? resolve(env.dir, interpreter)
      : interpreter;
    settings.cgi.set(ext, path);
  }, { repeatable: true }),
];

/** Every directive by name. */
export const DIRECTIVES: ReadonlyMap<string, Directive> = new Map(LIST.map((d) => [d.name, d]));
