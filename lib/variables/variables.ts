/**
 * nginx's variables, looked up by name through one table of getters (ngx_http_variables.c), so
 * that every directive that takes `$name` expands it the same way and an unknown name is a
 * configuration error.
 */
import { getHeader, type RequestHead } from "../http/request.ts";
import { parseCookies } from "../http/cookies.ts";

/**
 * What variables read of a request: the phases' request context has all of it (declared here, so
 * that the configuration, whose templates hold variables, does not depend on the phases).
 */
export interface VariableScope {
  head: RequestHead;
  /** The decoded path. */
  path: string;
  /** The Host without port ("" when absent). */
  host: string;
  local: Deno.NetAddr;
  remote: Deno.NetAddr;
  /** The connection speaks TLS ($scheme https, $https on). */
  secure?: boolean;
  server: { readonly serverNames: readonly string[] };
  location: {
    readonly root: string;
    readonly alias: string | null;
    /** The root (or alias) with symbolic links resolved when the configuration was loaded. */
    readonly realRoot?: string;
    /** The location's prefix, for the file an alias maps a path to. */
    readonly path?: string;
    /** Where the location proxies to ($proxy_host, $proxy_port). */
    readonly proxyPass?: { readonly host: string; readonly port: number } | null;
  };
  /** What a regular expression captured ($0…$9); absent or short: those are empty. */
  captures?: readonly string[];
  /** What the log phase knows of the answer; absent before it ($status is then "000"). */
  sent?: Sent;
  /** The upstream servers the request went to ($upstream_*), when it was proxied. */
  state?: { readonly upstream: readonly UpstreamAttempt[] };
}

/** One try of an upstream server. Times are milliseconds from the start of the try. */
export interface UpstreamAttempt {
  /** `127.0.0.1:8080`, `unix:/run/app.sock`, or the upstream's name when no server was live. */
  addr: string;
  /** The status it answered, or 502/504 for a failure, as nginx logs it. */
  status: number;
  connectMs: number | null;
  headerMs: number | null;
  responseMs: number | null;
}

/** The facts of a request once its answer is sent, for `log_format`. */
export interface Sent {
  status: number;
  /** Bytes of the response, head included, and of its body alone. */
  bytes: number;
  bodyBytes: number;
  /** When the first byte of the request arrived (ms since the epoch). */
  startMs: number;
  /** Bytes of the request: its head and the body read. */
  requestLength: number;
  /** A number for the connection, and how many requests it has served, this one included. */
  connection: number;
  connectionRequests: number;
  /** Whether the request was pipelined (another was already in the buffer). */
  pipelined: boolean;
}

/** Reads one variable of a request. */
export interface Variable {
  get(ctx: VariableScope): string;
  /** The value is a decoded path: a URL built from it must percent-encode it ($uri). */
  decoded?: boolean;
}

const plain = (get: (ctx: VariableScope) => string): Variable => ({ get });

/** $upstream_*: one value per try, ", " between them, as nginx gives them. */
function eachAttempt(value: (a: UpstreamAttempt) => string): Variable {
  return plain((ctx) => {
    const attempts = ctx.state?.upstream ?? [];
    return attempts.length === 0 ? "" : attempts.map(value).join(", ");
  });
}

/** Milliseconds as nginx's seconds with three decimals, or "-". */
const seconds = (ms: number | null) => ms === null ? "-" : (ms / 1000).toFixed(3);

/** $proxy_add_x_forwarded_for: the client's X-Forwarded-For with the client's address added. */
function addForwardedFor(ctx: VariableScope): string {
  const forwarded = headerValues(ctx, "x-forwarded-for");
  return [...forwarded, ctx.remote.hostname].join(", ");
}

/** The Host without port, else the server's first name, else "" (nginx's $host). */
function host(ctx: VariableScope): string {
  return ctx.host !== "" ? ctx.host : (ctx.server.serverNames[0] ?? "");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** nginx's $time_local (in UTC): `10/Oct/2000:13:55:36 +0000`. */
export function timeLocal(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** The file the path maps to under the root or alias ($request_filename), or "". */
function requestFilename(ctx: VariableScope): string {
  const { root, alias, path } = ctx.location;
  if (alias === null) return root.replace(/\/$/, "") + ctx.path;
  const prefix = path ?? "";
  const rest = ctx.path.startsWith(prefix) ? ctx.path.slice(prefix.length) : ctx.path;
  return alias.replace(/\/$/, "") + (rest.startsWith("/") ? rest : "/" + rest);
}

/** The user of an `Authorization: Basic` header ($remote_user), or "". */
function remoteUser(ctx: VariableScope): string {
  const header = getHeader(ctx.head, "authorization");
  const m = header === undefined ? null : /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})/i.exec(header);
  if (m === null) return "";
  try {
    const text = new TextDecoder().decode(Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0)));
    const colon = text.indexOf(":");
    return colon < 0 ? "" : text.slice(0, colon);
  } catch {
    return "";
  }
}

const TABLE: ReadonlyMap<string, Variable> = new Map([
  ["scheme", plain((ctx) => ctx.secure ? "https" : "http")],
  ["https", plain((ctx) => ctx.secure ? "on" : "")],
  ["host", plain(host)],
  ["request_uri", plain((ctx) => ctx.head.target)],
  ["uri", { get: (ctx) => ctx.path, decoded: true }],
  ["document_uri", { get: (ctx) => ctx.path, decoded: true }],
  ["args", plain((ctx) => ctx.head.query)],
  ["query_string", plain((ctx) => ctx.head.query)],
  ["is_args", plain((ctx) => ctx.head.query === "" ? "" : "?")],
  ["request_method", plain((ctx) => ctx.head.method)],
  ["server_protocol", plain((ctx) => `HTTP/1.${ctx.head.minor}`)],
  ["server_addr", plain((ctx) => ctx.local.hostname)],
  ["server_port", plain((ctx) => String(ctx.local.port))],
  ["pid", plain(() => String(Deno.pid))],
  ["server_name", plain((ctx) => ctx.server.serverNames[0] ?? "")],
  ["remote_addr", plain((ctx) => ctx.remote.hostname)],
  // nginx's is the address in binary (4 or 16 bytes), a compact zone key; the text serves the same.
  ["binary_remote_addr", plain((ctx) => ctx.remote.hostname)],
  ["remote_port", plain((ctx) => String(ctx.remote.port))],
  ["document_root", plain((ctx) => ctx.location.alias ?? ctx.location.root)],
  [
    "realpath_root",
    plain((ctx) => ctx.location.realRoot ?? ctx.location.alias ?? ctx.location.root),
  ],
  ["request_filename", plain(requestFilename)],
  ["content_type", plain((ctx) => getHeader(ctx.head, "content-type") ?? "")],
  ["content_length", plain((ctx) => getHeader(ctx.head, "content-length") ?? "")],
  [
    "request",
    plain((ctx) =>
      ctx.head.method === "" ? "" : `${ctx.head.method} ${ctx.head.target} HTTP/1.${ctx.head.minor}`
    ),
  ],
  ["remote_user", plain(remoteUser)],
  // The log phase's, as nginx has them.
  [
    "status",
    plain((ctx) => ctx.sent === undefined ? "000" : String(ctx.sent.status).padStart(3, "0")),
  ],
  ["body_bytes_sent", plain((ctx) => String(ctx.sent?.bodyBytes ?? 0))],
  ["bytes_sent", plain((ctx) => String(ctx.sent?.bytes ?? 0))],
  ["request_length", plain((ctx) => String(ctx.sent?.requestLength ?? 0))],
  [
    "request_time",
    plain((ctx) =>
      ctx.sent === undefined ? "0.000" : ((Date.now() - ctx.sent.startMs) / 1000).toFixed(3)
    ),
  ],
  ["connection", plain((ctx) => String(ctx.sent?.connection ?? 0))],
  ["connection_requests", plain((ctx) => String(ctx.sent?.connectionRequests ?? 0))],
  ["pipe", plain((ctx) => ctx.sent?.pipelined ? "p" : ".")],
  ["time_local", plain(() => timeLocal(new Date()))],
  ["time_iso8601", plain(() => new Date().toISOString().replace(/\.\d{3}Z$/, "+00:00"))],
  ["msec", plain(() => (Date.now() / 1000).toFixed(3))],
  // The proxy's.
  ["proxy_host", plain((ctx) => ctx.location.proxyPass?.host ?? "")],
  ["proxy_port", plain((ctx) => String(ctx.location.proxyPass?.port ?? ""))],
  ["proxy_add_x_forwarded_for", plain(addForwardedFor)],
  ["upstream_addr", eachAttempt((a) => a.addr)],
  ["upstream_status", eachAttempt((a) => String(a.status))],
  ["upstream_connect_time", eachAttempt((a) => seconds(a.connectMs))],
  ["upstream_header_time", eachAttempt((a) => seconds(a.headerMs))],
  ["upstream_response_time", eachAttempt((a) => seconds(a.responseMs))],
]);

/** Families of variables named by a prefix: `$http_user_agent`, `$arg_page`, `$cookie_id`. */
const PREFIXES: ReadonlyArray<[string, (rest: string) => Variable]> = [
  ["http_", (rest) => {
    const name = rest.replaceAll("_", "-");
    // Several fields of one name are joined as nginx joins them (", "; "; " for Cookie).
    const join = name === "cookie" ? "; " : ", ";
    return plain((ctx) => headerValues(ctx, name).join(join));
  }],
  ["arg_", (rest) => plain((ctx) => queryArgument(ctx.head.query, rest))],
  ["cookie_", (rest) => plain((ctx) => parseCookies(headerValues(ctx, "cookie")).get(rest) ?? "")],
];

function headerValues(ctx: VariableScope, name: string): string[] {
  return ctx.head.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** The raw value of the first `name=` argument of a query string, as nginx's $arg_name. */
function queryArgument(query: string, name: string): string {
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key.toLowerCase() === name) return eq < 0 ? "" : pair.slice(eq + 1);
  }
  return "";
}

/** $0…$9: the groups of the last regular expression that matched (a location's, a rewrite's). */
const CAPTURES: readonly Variable[] = Array.from(
  { length: 10 },
  (_, i) => plain((ctx) => ctx.captures?.[i] ?? ""),
);

/** The variable of that name (lower-case, without `$`), or undefined when there is none. */
export function findVariable(name: string): Variable | undefined {
  if (name.length === 1 && name >= "0" && name <= "9") return CAPTURES[Number(name)];
  const fixed = TABLE.get(name);
  if (fixed !== undefined) return fixed;
  for (const [prefix, make] of PREFIXES) {
    if (name.startsWith(prefix) && name.length > prefix.length) {
      return make(name.slice(prefix.length));
    }
  }
  return undefined;
}
