/**
 * The directives whose arguments no slot setter reads: each parses its own syntax and reports
 * problems in nginx's wording.
 */
import { isAbsolute, normalize, resolve } from "node:path";
import { directoryExists, hostResolves, interpreterFound } from "./checks.ts";
import { ConfigError } from "./config_error.ts";
import {
  type Apply,
  innermost,
  locationOf,
  type RawBlockDirective,
  serverOf,
} from "./directive.ts";
import { formatListen, isAddressLiteral, parseListen, parseListenParameters } from "./listen.ts";
import { compileLocationRegex } from "./blocks.ts";
import { parseReturn } from "./return_directive.ts";
import { parseSize, parseTime } from "./units.ts";
import type { LogLevel, RewriteStep } from "./types.ts";
import { parseAccessRule } from "../access/cidr.ts";
import { isRedisUrl, redisAnswers, redisUrlProblem } from "../session/redis_url.ts";
import { MIN_ZONE_BYTES, parseRate, zoneCapacity } from "../access/rate_limit.ts";
import type { LogEscape } from "../log/log_format.ts";
import { compileTemplate, type Template } from "../variables/template.ts";

/** Methods `allow_methods` accepts. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);

const LOG_LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "notice",
  "warn",
  "error",
  "crit",
  "alert",
  "emerg",
];

/** `listen [host:]port [default_server];` */
export const listen: Apply = (scope, [address = "", ...params], env) => {
  const parsed = parseListen(address);
  if ("error" in parsed) throw env.error(parsed.error);
  const options = parseListenParameters(params);
  if ("error" in options) throw env.error(options.error);
  const server = serverOf(scope);
  const text = formatListen(parsed);
  if (server.listen.some((a) => formatListen(a) === text)) {
    throw env.error(`a duplicate listen "${text}"`);
  }
  if (options.defaultServer) {
    const taken = scope.main.servers.some((s) =>
      s.listen.some((a) => a.defaultServer && formatListen(a) === text)
    );
    if (taken) throw env.error(`a duplicate default server for ${text}`);
  }
  if (!isAddressLiteral(parsed.host)) {
    const failure = `host not found in "${address}" of the "listen" directive`;
    env.defer(() => hostResolves(parsed.host, failure));
  }
  server.listen.push({ ...parsed, ...options });
};

/** `server_name name …;`: lower-cased, repeats dropped. */
export const serverName: Apply = (scope, args) => {
  const names = serverOf(scope).serverNames;
  for (const name of args.map((a) => a.toLowerCase())) {
    if (!names.includes(name)) names.push(name);
  }
};

/** `root dir;`, not beside `alias` in one location. */
export const root: Apply = (scope, [dir = ""], env) => {
  if (scope.location?.alias != null) {
    throw env.error('"root" directive is duplicate, "alias" directive was specified earlier');
  }
  innermost(scope).settings.root = resolve(env.dir, dir);
};

/** `alias dir;`, not beside `root` in one location. */
export const alias: Apply = (scope, [dir = ""], env) => {
  const location = locationOf(scope);
  if (location.settings.root !== undefined) {
    throw env.error('"alias" directive is duplicate, "root" directive was specified earlier');
  }
  location.alias = resolve(env.dir, dir);
};

/** `index file …;`: repeated directives add to the list. */
export const index: Apply = (scope, args, env) => {
  if (args.includes("")) throw env.error('index "" in "index" directive is invalid');
  const settings = innermost(scope).settings;
  settings.index = [...(settings.index ?? []), ...args];
};

/**
 * `error_page code … [=[response]] uri;`: a later directive wins for the same code. `=` answers
 * with the page's own status, `=200` with that one; the URI may be `@name` or an absolute URL.
 */
export const errorPage: Apply = (scope, args, env) => {
  const uri = args[args.length - 1]!;
  let codes = args.slice(0, -1);
  let status: number | "page" | undefined;
  const override = /^=(\d*)$/.exec(codes[codes.length - 1] ?? "");
  if (override !== null) {
    status = override[1] === "" ? "page" : Number(override[1]);
    codes = codes.slice(0, -1);
    if (codes.length === 0) {
      throw env.error('invalid number of arguments in "error_page" directive');
    }
  }
  const numbers = codes.map((text) => {
    if (!/^\d+$/.test(text)) throw env.error(`invalid value "${text}"`);
    const code = Number(text);
    if (code < 300 || code > 599) throw env.error(`value "${text}" must be between 300 and 599`);
    return code;
  });
  if (!uri.startsWith("/") && !uri.startsWith("@") && !/^https?:\/\//i.test(uri)) {
    throw env.error(`invalid URI "${uri}" in "error_page" directive, it must start with "/"`);
  }
  const settings = innermost(scope).settings;
  settings.errorPages ??= new Map();
  for (const code of numbers) {
    settings.errorPages.set(code, status === undefined ? { uri } : { uri, status });
  }
};

/** The rewrite-module script of the innermost server or location. */
function scriptOf(scope: Parameters<Apply>[0]): RewriteStep[] {
  return (scope.location ?? serverOf(scope)).script;
}

/** `return code [text];` in a server or location (not inherited). */
export const returnDirective: Apply = (scope, args, env) => {
  const directive = parseReturn(args);
  if ("error" in directive) throw env.error(directive.error);
  scriptOf(scope).push({ kind: "return", return: directive });
};

const REWRITE_FLAGS = ["last", "break", "redirect", "permanent"] as const;

/** `rewrite regex replacement [last|break|redirect|permanent];` in a server or location. */
export const rewrite: Apply = (scope, [source = "", replacement = "", flag], env) => {
  const regex = compileLocationRegex(source, false);
  if ("error" in regex) throw env.error(regex.error);
  const compiled = compileTemplate(replacement);
  if ("error" in compiled) throw env.error(compiled.error);
  const known = REWRITE_FLAGS.find((f) => f === flag);
  if (flag !== undefined && known === undefined) throw env.error(`invalid parameter "${flag}"`);
  const step: RewriteStep = { kind: "rewrite", rewrite: { regex, replacement: compiled } };
  if (known !== undefined) step.rewrite.flag = known;
  scriptOf(scope).push(step);
};

/** `try_files file … uri|@name|=code;` in a server or location. */
export const tryFiles: Apply = (scope, args, env) => {
  const compile = (text: string) => {
    const t = compileTemplate(text);
    if ("error" in t) throw env.error(t.error);
    return t;
  };
  const last = args[args.length - 1]!;
  const code = /^=(\d{3})$/.exec(last)?.[1];
  if (last.startsWith("=") && code === undefined) throw env.error(`invalid code "${last}"`);
  const block = scope.location ?? serverOf(scope);
  block.tryFiles = {
    files: args.slice(0, -1).map(compile),
    fallback: code !== undefined ? { code: Number(code) } : { uri: compile(last) },
  };
};

/** `allow_methods METHOD …;`: GET implies HEAD, as in nginx's limit_except. */
export const allowMethods: Apply = (scope, args, env) => {
  const methods: string[] = [];
  for (const arg of args) {
    const method = arg.toUpperCase();
    if (!KNOWN_METHODS.has(method)) {
      throw env.error(`invalid method "${arg}" in "allow_methods" directive`);
    }
    if (!methods.includes(method)) methods.push(method);
  }
  if (methods.includes("GET") && !methods.includes("HEAD")) methods.push("HEAD");
  innermost(scope).settings.allowMethods = methods;
};

/** `cgi .ext interpreter;`: the interpreter must exist (checked by verifyConfig). */
export const cgi: Apply = (scope, [ext = "", interpreter = ""], env) => {
  if (!/^\.[^./\s]+$/.test(ext)) {
    throw env.error(`invalid extension "${ext}" in "cgi" directive, it must start with "."`);
  }
  if (interpreter === "") throw env.error('invalid interpreter "" in "cgi" directive');
  const settings = innermost(scope).settings;
  settings.cgi ??= new Map();
  if (settings.cgi.has(ext)) throw env.error(`duplicate extension "${ext}" in "cgi" directive`);
  // Absolute: kept (normalised); with a "/": relative to the config; a bare name: found on PATH.
  const path = isAbsolute(interpreter)
    ? normalize(interpreter)
    : interpreter.includes("/")
    ? resolve(env.dir, interpreter)
    : interpreter;
  // A missing interpreter only fails its scripts (502): the rest of the site can still be served.
  env.defer(() => interpreterFound(path), "warning");
  settings.cgi.set(ext, path);
};

/** `upload_store dir|off;`: the directory must exist (checked by verifyConfig). */
export const uploadStore: Apply = (scope, [dir = ""], env) => {
  const path = dir === "off" ? null : resolve(env.dir, dir);
  if (path !== null) env.defer(() => directoryExists(path, "upload_store"));
  innermost(scope).settings.uploadStore = path;
};

/**
 * `access_log path|stdout [format [buffer=size] [flush=time]] | off;`: lines add up at one level.
 * buffer and flush are accepted (every log is buffered: lines go out within 200 ms).
 */
export const accessLog: Apply = (scope, [value = "", name = "combined", ...options], env) => {
  const settings = innermost(scope).settings;
  if (value === "off") {
    settings.accessLogs = [];
    return;
  }
  const format = scope.main.logFormats.get(name);
  if (format === undefined) throw env.error(`unknown log format "${name}"`);
  for (const option of options) {
    const key = option.split("=", 1)[0]!;
    if (key === "buffer" || key === "flush") continue;
    if (key === "gzip" || key === "if") {
      throw env.error(`"${key}" parameter is not supported by webserv`);
    }
    throw env.error(`invalid parameter "${option}"`);
  }
  const path = value === "stdout" ? "stdout" : resolve(env.dir, value);
  settings.accessLogs = [...(settings.accessLogs ?? []), { path, format }];
};

/** `log_format name [escape=default|json|none] string …;` */
export const logFormat: Apply = (scope, [name = "", ...rest], env) => {
  let escape: LogEscape = "default";
  const first = /^escape=(.*)$/.exec(rest[0] ?? "");
  if (first !== null) {
    if (first[1] !== "default" && first[1] !== "json" && first[1] !== "none") {
      throw env.error(`unknown log format escaping "${first[1]}"`);
    }
    escape = first[1];
    rest = rest.slice(1);
  }
  if (rest.length === 0) throw env.error('invalid number of arguments in "log_format" directive');
  if (scope.main.logFormats.has(name)) throw env.error(`duplicate "log_format" name "${name}"`);
  scope.main.logFormats.set(name, { name, template: template(rest.join(""), env), escape });
};

/** `error_log path|stderr [level];` (main context). */
export const errorLog: Apply = (scope, [target = "", level = "error"], env) => {
  const found = LOG_LEVELS.find((l) => l === level);
  if (found === undefined) throw env.error(`invalid log level "${level}"`);
  scope.main.errorLog = {
    target: target === "stderr" ? "stderr" : resolve(env.dir, target),
    level: found,
  };
};

/** `worker_processes N | auto;` (main context). */
export const workerProcesses: Apply = (scope, [text = ""], env) => {
  if (text === "auto") scope.main.workerProcesses = "auto";
  else if (/^[1-9]\d{0,3}$/.test(text)) scope.main.workerProcesses = Number(text);
  else throw env.error(`"${env.name}" directive invalid value`);
};

/** `pid file;` (main context): where the running server writes its process id. */
export const pid: Apply = (scope, [file = ""], env) => {
  if (file === "") throw env.error('invalid path "" in "pid" directive');
  scope.main.pid = resolve(env.dir, file);
};

/** `session_store memory|dir|redis://…;`: another URL scheme is named, and refused, as such. */
export const sessionStore: Apply = (scope, [value = ""], env) => {
  if (isRedisUrl(value)) {
    const problem = redisUrlProblem(value);
    if (problem !== null) throw env.error(`invalid session store "${value}": ${problem}`);
    serverOf(scope).sessions.store = value;
    env.defer(() => redisAnswers(value), "warning");
    return;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme !== undefined) {
    throw env.error(
      `session store "${value}" is not supported: "${scheme}" stores do not exist yet`,
    );
  }
  serverOf(scope).sessions.store = value === "memory" ? null : resolve(env.dir, value);
};

/** `large_client_header_buffers number size;` */
export const largeClientHeaderBuffers: Apply = (scope, [number = "", size = ""], env) => {
  const n = /^\d{1,4}$/.test(number) ? Number(number) : 0;
  const bytes = parseSize(size);
  if (n === 0 || bytes === null || bytes < 64 || bytes > 1024 * 1024) {
    throw env.error('"large_client_header_buffers" directive invalid value');
  }
  scope.main.limits.maxRequestLine = bytes;
  scope.main.limits.maxHeadBytes = n * bytes;
};

/**
 * `types { type ext …; … }`: extensions to content types (several blocks at one level add up, a
 * later type for an extension wins); it replaces the inherited table, and the built-in one.
 */
export const types: RawBlockDirective["read"] = (scope, _args, contents) => {
  const settings = innermost(scope).settings;
  const table = new Map(settings.types ?? []);
  for (const node of contents) {
    const fail = (message: string) => new ConfigError(node.file, node.line, message);
    if (node.children !== null) throw fail('unexpected "{"');
    if (node.args.length === 0) {
      throw fail(`invalid number of arguments in "${node.name}" directive`);
    }
    for (const ext of node.args) table.set(ext.toLowerCase(), node.name);
  }
  settings.types = table;
};

/** `default_type type;` */
export const defaultType: Apply = (scope, [type = ""]) => {
  innermost(scope).settings.defaultType = type;
};

/** `charset name|off;` */
export const charset: Apply = (scope, [name = ""]) => {
  innermost(scope).settings.charset = name.toLowerCase() === "off" ? null : name;
};

/** `charset_types type …;` (`*` for every type). */
export const charsetTypes: Apply = (scope, args) => {
  innermost(scope).settings.charsetTypes = [...args];
};

/** `allow addr|CIDR|all|unix:;` and `deny …;`: rules add up, in order, at one level. */
function accessRule(action: "allow" | "deny"): Apply {
  return (scope, [text = ""], env) => {
    const parsed = parseAccessRule(action, text);
    if ("error" in parsed) throw env.error(parsed.error);
    if (parsed.warning !== undefined) {
      const warning = parsed.warning;
      env.defer(() => Promise.resolve(warning), "warning");
    }
    const settings = innermost(scope).settings;
    settings.access = [...(settings.access ?? []), parsed.rule];
  };
}

export const allow = accessRule("allow");
export const deny = accessRule("deny");

/** `auth_basic "realm"|off;` */
export const authBasic: Apply = (scope, [realm = ""]) => {
  innermost(scope).settings.authBasic = realm === "off" ? null : realm;
};

/** `auth_basic_user_file file;`: a file that cannot be read is a warning (nginx reads it per request). */
export const authBasicUserFile: Apply = (scope, [file = ""], env) => {
  const path = resolve(env.dir, file);
  env.defer(async () => {
    try {
      await Deno.readTextFile(path);
      return null;
    } catch (e) {
      return `auth_basic_user_file "${path}" cannot be read: ${(e as Error).message}`;
    }
  }, "warning");
  innermost(scope).settings.authBasicUserFile = path;
};

/** The `key=value` parameters of a zone or limit directive. */
function parameters(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    out.set(eq < 0 ? arg : arg.slice(0, eq), eq < 0 ? "" : arg.slice(eq + 1));
  }
  return out;
}

/** `zone=name:size`, checked as nginx checks it. */
function zoneParameter(
  params: Map<string, string>,
  kind: "limit_req" | "limit_conn",
  env: Parameters<Apply>[2],
): { name: string; capacity: number } {
  const zone = params.get("zone");
  if (zone === undefined) throw env.error(`"${env.name}" must have "zone" parameter`);
  const colon = zone.lastIndexOf(":");
  const name = colon < 0 ? zone : zone.slice(0, colon);
  const size = colon < 0 ? null : parseSize(zone.slice(colon + 1));
  if (name === "" || size === null) throw env.error(`invalid zone size "${zone}"`);
  if (size < MIN_ZONE_BYTES) throw env.error(`zone "${name}" is too small`);
  return { name, capacity: zoneCapacity(size, kind) };
}

/** `limit_req_zone key zone=name:size rate=Nr/s|Nr/m;` */
export const limitReqZone: Apply = (scope, [key = "", ...rest], env) => {
  const params = parameters(rest);
  const { name, capacity } = zoneParameter(params, "limit_req", env);
  const rateText = params.get("rate");
  const rate = rateText === undefined ? null : parseRate(rateText);
  if (rate === null) throw env.error(`invalid rate "${rateText ?? ""}"`);
  for (const p of params.keys()) {
    if (p !== "zone" && p !== "rate" && p !== "sync") throw env.error(`invalid parameter "${p}"`);
  }
  if (scope.main.requestZones.has(name)) throw env.error(`duplicate zone "${name}"`);
  scope.main.requestZones.set(name, { name, key: template(key, env), capacity, rate });
};

/** `limit_conn_zone key zone=name:size;` */
export const limitConnZone: Apply = (scope, [key = "", ...rest], env) => {
  const params = parameters(rest);
  const { name, capacity } = zoneParameter(params, "limit_conn", env);
  for (const p of params.keys()) {
    if (p !== "zone") throw env.error(`invalid parameter "${p}"`);
  }
  if (scope.main.connectionZones.has(name)) throw env.error(`duplicate zone "${name}"`);
  scope.main.connectionZones.set(name, { name, key: template(key, env), capacity });
};

/** Compiles a directive's argument that may hold variables. */
export function template(text: string, env: Parameters<Apply>[2]): Template {
  const compiled = compileTemplate(text);
  if ("error" in compiled) throw env.error(compiled.error);
  return compiled;
}

/** `limit_req zone=name [burst=N] [nodelay | delay=N];`: lines add up at one level. */
export const limitReq: Apply = (scope, args, env) => {
  const params = parameters(args);
  const zone = params.get("zone");
  if (zone === undefined || zone === "") throw env.error(`"limit_req" must have "zone" parameter`);
  const number = (name: string) => {
    const text = params.get(name);
    if (text === undefined) return 0;
    if (!/^\d{1,9}$/.test(text)) throw env.error(`invalid ${name} value "${text}"`);
    return Number(text);
  };
  for (const p of params.keys()) {
    if (!["zone", "burst", "delay", "nodelay"].includes(p)) {
      throw env.error(`invalid parameter "${p}"`);
    }
  }
  const burst = number("burst");
  const delay: number | "nodelay" = params.has("nodelay") ? "nodelay" : number("delay");
  const settings = innermost(scope).settings;
  if ((settings.limitReq ?? []).some((l) => l.zone === zone)) {
    throw env.error(`"${zone}" zone is duplicate in "limit_req" directive`);
  }
  const line = { zone, burst, delay, pos: { file: env.file, line: env.line } };
  settings.limitReq = [...(settings.limitReq ?? []), line];
};

/** `limit_conn zone number;`: lines add up at one level. */
export const limitConn: Apply = (scope, [zone = "", number = ""], env) => {
  const max = /^\d{1,5}$/.test(number) ? Number(number) : 0;
  if (max < 1 || max > 65535) throw env.error(`invalid number of connections "${number}"`);
  const settings = innermost(scope).settings;
  if ((settings.limitConn ?? []).some((l) => l.zone === zone)) throw env.error("is duplicate");
  const line = { zone, max, pos: { file: env.file, line: env.line } };
  settings.limitConn = [...(settings.limitConn ?? []), line];
};

/** `add_header name value [always];`: lines add up at one level. */
export const addHeader: Apply = (scope, [name = "", value = "", always], env) => {
  if (always !== undefined && always !== "always") throw env.error(`invalid parameter "${always}"`);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw env.error(`invalid header name "${name}"`);
  }
  const settings = innermost(scope).settings;
  const line = { name, value: template(value, env), always: always === "always" };
  settings.addHeaders = [...(settings.addHeaders ?? []), line];
};

/** `expires [modified] time|epoch|max|off;` (a time may be negative: in the past). */
export const expires: Apply = (scope, args, env) => {
  const modified = args.length === 2;
  if (modified && args[0] !== "modified") throw env.error(`invalid value "${args[0]}"`);
  const text = args[args.length - 1]!;
  const settings = innermost(scope).settings;
  if (text === "off" && !modified) settings.expires = null;
  else if (text === "epoch" && !modified) settings.expires = { kind: "epoch" };
  else if (text === "max" && !modified) settings.expires = { kind: "max" };
  else {
    const negative = text.startsWith("-");
    const ms = parseTime(negative ? text.slice(1) : text);
    if (ms === null) throw env.error(`"expires" directive invalid value`);
    settings.expires = { kind: "time", ms: negative ? -ms : ms, modified };
  }
};

/** `server_tokens on|off|build;` (build: as on). */
export const serverTokens: Apply = (scope, [value = ""], env) => {
  const lower = value.toLowerCase();
  if (lower !== "on" && lower !== "off" && lower !== "build") {
    throw env.error(
      `invalid value "${value}" in "server_tokens" directive, it must be "on", "off" or "build"`,
    );
  }
  innermost(scope).settings.serverTokens = lower !== "off";
};
