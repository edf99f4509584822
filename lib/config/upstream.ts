/**
 * `upstream name { server address [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down]; }`
 * as nginx reads it (its keepalive lines are slots: directives.ts).
 */
import { hostResolves } from "./checks.ts";
import { type Apply, type BlockDirective, type Scope, upstreamOf } from "./directive.ts";
import { isAddressLiteral, splitHostPort } from "./listen.ts";
import type { UpstreamServer, UpstreamSettings } from "./types.ts";
import { parseTime } from "./units.ts";

/** nginx's defaults for a server of an upstream and for the block's keep-alive. */
export const SERVER_DEFAULTS = { weight: 1, maxFails: 1, failTimeout: 10_000 } as const;
export const UPSTREAM_KEEPALIVE_DEFAULTS = {
  keepalive: 0,
  keepaliveTimeout: 60_000,
  keepaliveRequests: 1000,
} as const;

/** A server address: `host[:port]` (port 80 by default) or `unix:/path`. */
export type ServerAddress = UpstreamServer["address"];

/** Parses an upstream address; the error is nginx's (`invalid port in upstream "x:99999"`). */
export function parseServerAddress(
  text: string,
  defaultPort = 80,
): { address: ServerAddress; text: string; hasPort: boolean } | { error: string } {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") return { error: `no path in the unix domain socket in upstream "${text}"` };
    return { address: { path }, text, hasPort: false };
  }
  const split = splitHostPort(text);
  if ("error" in split) return { error: `${split.error} in upstream "${text}"` };
  if (split.port === 0) return { error: `invalid port in upstream "${text}"` };
  const port = split.port ?? defaultPort;
  const host = split.host.includes(":") ? `[${split.host}]` : split.host;
  return {
    address: { host: split.host, port },
    text: `${host}:${port}`,
    hasPort: split.port !== null,
  };
}

/** Queues nginx's start-up check that a server's host name resolves. */
export function checkResolves(address: ServerAddress, text: string, env: Parameters<Apply>[2]) {
  if ("path" in address || isAddressLiteral(address.host)) return;
  const failure = `host not found in upstream "${text}"`;
  env.defer(() => hostResolves(address.host, failure));
}

/** `upstream name { … }`: its servers are added by the `server` lines inside. */
export const upstreamBlock: BlockDirective["open"] = (scope, [name = ""], env): Scope => {
  const key = name.toLowerCase();
  if (scope.main.upstreams.has(key)) throw env.error(`duplicate upstream "${name}"`);
  const upstream: UpstreamSettings = {
    name,
    servers: [],
    ...UPSTREAM_KEEPALIVE_DEFAULTS,
    pos: { file: env.file, line: env.line },
  };
  scope.main.upstreams.set(key, upstream);
  return { ...scope, context: "upstream", upstream };
};

/** `server address [parameters];` inside `upstream`. */
export const upstreamServer: Apply = (scope, [text = "", ...params], env) => {
  const server: UpstreamServer = {
    address: { path: "" },
    text,
    ...SERVER_DEFAULTS,
    backup: false,
    down: false,
  };
  for (const param of params) {
    const [key = "", value] = param.includes("=")
      ? [param.slice(0, param.indexOf("=")), param.slice(param.indexOf("=") + 1)]
      : [param, undefined];
    const count = value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : null;
    if (key === "weight" && count !== null && count > 0) server.weight = count;
    else if (key === "max_fails" && count !== null) server.maxFails = count;
    else if (key === "fail_timeout" && value !== undefined && parseTime(value) !== null) {
      server.failTimeout = parseTime(value)!;
    } else if (param === "backup") server.backup = true;
    else if (param === "down") server.down = true;
    else if (key === "max_conns" && count !== null) {
      env.notice('"max_conns" parameter of "server" is accepted and ignored by webserv');
    } else throw env.error(`invalid parameter "${param}"`);
  }
  const parsed = parseServerAddress(text);
  if ("error" in parsed) throw env.error(parsed.error);
  server.address = parsed.address;
  server.text = parsed.text;
  checkResolves(parsed.address, text, env);
  upstreamOf(scope).servers.push(server);
};
