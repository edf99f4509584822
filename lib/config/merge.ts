/** Turns drafts into the final Config: defaults → main → server → location, one explicit step. */
import { dirname } from "node:path";
import {
  DEFAULT_ERROR_LOG,
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_SESSIONS,
  defaultSettings,
} from "./defaults.ts";
import type { LocationDraft, MainDraft, ProxyPassDraft, ServerDraft } from "./draft.ts";
import { MimeTypes } from "../http/mime.ts";
import { ConfigError } from "./config_error.ts";
import { certificatePairLoads } from "./checks.ts";
import { eachLocation } from "./each_location.ts";
import { resolveProxyPass } from "./proxy_pass.ts";
import { checkAcme, mergeAcme } from "./acme.ts";
import type {
  AcmeCertificateSettings,
  Config,
  Derived,
  Limits,
  LocationConfig,
  ProxyPass,
  ServerConfig,
  Settings,
  UpstreamSettings,
} from "./types.ts";

/**
 * The inheritance rule, used at every level: each field the child did not set comes from the
 * parent. Lists and maps (index, error pages, CGI) are replaced as a whole when the child sets any
 * entry, like nginx. They are copied, so no two levels share one.
 */
export function mergeSettings(parent: Settings, child: Partial<Settings>): Settings {
  const merged = { ...parent };
  for (const [key, value] of Object.entries(child)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return {
    ...merged,
    index: [...merged.index],
    allowMethods: merged.allowMethods === null ? null : [...merged.allowMethods],
    errorPages: new Map(merged.errorPages),
    cgi: new Map(merged.cgi),
    charsetTypes: [...merged.charsetTypes],
    access: [...merged.access],
    limitReq: [...merged.limitReq],
    limitConn: [...merged.limitConn],
    addHeaders: [...merged.addHeaders],
    accessLogs: [...merged.accessLogs],
    proxySetHeaders: [...merged.proxySetHeaders],
    proxyHideHeaders: [...merged.proxyHideHeaders],
    proxyPassHeaders: [...merged.proxyPassHeaders],
    proxyNextUpstream: [...merged.proxyNextUpstream],
    gzipTypes: [...merged.gzipTypes],
    brotliTypes: [...merged.brotliTypes],
    gzipProxied: [...merged.gzipProxied],
    gzipDisable: [...merged.gzipDisable],
    proxyRedirect: Array.isArray(merged.proxyRedirect)
      ? [...merged.proxyRedirect]
      : merged.proxyRedirect,
  };
}

/** What requests need of a block's settings, computed once. */
function derive(settings: Settings): Derived {
  return { mime: MimeTypes.of(settings) };
}

/** Exact locations first, then prefixes; longest first in each; ties in the order of the file. */
function compareLocations(a: LocationConfig, b: LocationConfig): number {
  const exact = (l: LocationConfig) => l.modifier === "=";
  if (exact(a) !== exact(b)) return exact(a) ? -1 : 1;
  return b.path.length - a.path.length;
}

const isRegex = (l: { modifier: string }) => l.modifier === "~" || l.modifier === "~*";

/** Turns a location's proxy_pass into the upstream it sends to. */
type ResolveProxyPass = (draft: ProxyPassDraft) => ProxyPass;

/** Merges a level's locations: the static ones sorted for matching, the regexes in file order. */
function mergeLocations(
  parent: Settings,
  drafts: LocationDraft[],
  resolve: ResolveProxyPass,
): { locations: LocationConfig[]; regexes: LocationConfig[]; named: LocationConfig[] } {
  const merged = drafts.map((d) => mergeLocation(parent, d, resolve));
  return {
    locations: merged.filter((l) => !isRegex(l) && l.modifier !== "@").sort(compareLocations),
    regexes: merged.filter(isRegex),
    named: merged.filter((l) => l.modifier === "@"),
  };
}

/** A location inherits from the level it is written in: its server, or the location around it. */
function mergeLocation(
  parent: Settings,
  draft: LocationDraft,
  resolve: ResolveProxyPass,
): LocationConfig {
  const settings = mergeSettings(parent, draft.settings);
  const nested = mergeLocations(settings, draft.locations, resolve);
  return {
    ...settings,
    ...derive(settings),
    path: draft.path,
    modifier: draft.modifier,
    regex: draft.regex,
    locations: nested.locations,
    regexes: nested.regexes,
    alias: draft.alias,
    realRoot: draft.alias ?? settings.root,
    script: draft.script,
    tryFiles: draft.tryFiles,
    proxyPass: draft.proxyPass === null ? null : resolve(draft.proxyPass),
    pos: draft.pos,
  };
}

function mergeServer(
  main: Settings,
  limits: Limits,
  draft: ServerDraft,
  resolve: ResolveProxyPass,
  acme: AcmeCertificateSettings | null,
): ServerConfig {
  const settings = mergeSettings(main, draft.settings);
  const drafts = [...draft.locations];
  // Every request must match some location: add `location /` when the server has none.
  if (!drafts.some((l) => l.path === "/" && (l.modifier === "" || l.modifier === "^~"))) {
    drafts.push({
      path: "/",
      modifier: "",
      regex: null,
      locations: [],
      settings: {},
      alias: null,
      script: [],
      // The implicit location stands for the server itself: the server's try_files applies.
      tryFiles: draft.tryFiles,
      proxyPass: null,
      pos: draft.pos,
    });
  }
  const listen = draft.listen.length > 0
    ? draft.listen.map((a) => ({ ...a }))
    : [{ ...DEFAULT_LISTEN, defaultServer: false, ssl: false }];
  const merged = mergeLocations(settings, drafts, resolve);
  return {
    ...settings,
    ...derive(settings),
    listen,
    serverNames: [...draft.serverNames],
    locations: merged.locations,
    regexes: merged.regexes,
    named: new Map(merged.named.map((l) => [l.path, l])),
    script: draft.script,
    limits,
    sessions: { ...DEFAULT_SESSIONS, ...draft.sessions },
    acme,
    pos: draft.pos,
  };
}

/**
 * A server listening with `ssl` needs a certificate and its key (nginx's rule, at start-up); the
 * files must load as a pair (checked with the other deferred checks).
 */
function checkCertificates(config: Config): void {
  const pairs = new Set<string>();
  for (const server of config.servers) {
    if (!server.listen.some((l) => l.ssl)) continue;
    const { sslCertificate: cert, sslCertificateKey: key } = server;
    for (
      const [value, name] of [[cert, "ssl_certificate"], [key, "ssl_certificate_key"]] as const
    ) {
      if (value === null) {
        const { file, line } = server.pos;
        throw new ConfigError(
          file,
          line,
          `no "${name}" is defined for the "listen ... ssl" directive`,
        );
      }
    }
    if (cert!.kind !== "file" || key!.kind !== "file") continue;
    const pair = `${cert!.path}\0${key!.path}`;
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    const [certPath, keyPath] = [cert!.path, key!.path];
    config.checks.push({
      pos: cert!.pos,
      severity: "error",
      run: () => certificatePairLoads(certPath, keyPath),
    });
  }
}

/**
 * Several workers each keep their own in-memory sessions: a session begun on one is unknown to
 * the others. Said as a warning (`-t` and start-up) for each server that would lose them.
 */
function checkWorkerSessions(config: Config): void {
  if (config.workerProcesses === 1) return;
  for (const server of config.servers) {
    if (server.sessions.store !== null || !eachLocation(server).some((l) => l.session)) continue;
    config.checks.push({
      pos: server.pos,
      severity: "warning",
      run: () =>
        Promise.resolve(
          `"worker_processes ${config.workerProcesses}" with sessions in memory: each worker ` +
            `keeps its own, so a session begun on one is unknown to the others; give this ` +
            `server a "session_store" directory or redis:// URL`,
        ),
    });
  }
}

/** Every limit_req and limit_conn must name a zone the file defines (nginx: at start-up). */
function checkZones(config: Config): void {
  for (const server of config.servers) {
    for (const block of [server, ...eachLocation(server)]) {
      for (
        const [lines, zones] of [
          [block.limitReq, config.requestZones],
          [block.limitConn, config.connectionZones],
        ] as const
      ) {
        for (const { zone, pos } of lines) {
          if (!zones.has(zone)) {
            throw new ConfigError(pos.file, pos.line, `zero size shared memory zone "${zone}"`);
          }
        }
      }
    }
  }
}

/** Applies defaults and inheritance to every server and location of a file. */
export function mergeConfig(draft: MainDraft): Config {
  const main = mergeSettings(defaultSettings(dirname(draft.file)), draft.settings);
  const limits = { ...DEFAULT_LIMITS, ...draft.limits };
  for (const upstream of draft.upstreams.values()) {
    if (upstream.servers.length === 0) {
      const { file, line } = upstream.pos;
      throw new ConfigError(file, line, "no servers are inside upstream");
    }
  }
  const implicit = new Map<string, UpstreamSettings>();
  const resolve: ResolveProxyPass = (proxyPass) =>
    resolveProxyPass(proxyPass, draft.upstreams, implicit, draft.checks);
  const config: Config = {
    file: draft.file,
    servers: draft.servers.map((server) =>
      mergeServer(main, limits, server, resolve, mergeAcme(draft, server))
    ),
    acmeIssuers: draft.acmeIssuers,
    limits,
    errorLog: draft.errorLog ?? { ...DEFAULT_ERROR_LOG },
    pid: draft.pid,
    workerProcesses: draft.workerProcesses ?? 1,
    upstreams: draft.upstreams,
    requestZones: draft.requestZones,
    connectionZones: draft.connectionZones,
    checks: draft.checks,
    notices: draft.notices,
  };
  checkZones(config);
  checkCertificates(config);
  checkAcme(config);
  checkWorkerSessions(config);
  // $realpath_root: each location's root with its links resolved, once, when the file is checked.
  for (const server of config.servers) {
    for (const location of eachLocation(server)) {
      config.checks.push({
        pos: location.pos,
        severity: "warning",
        run: async () => {
          location.realRoot = await Deno.realPath(location.realRoot).catch(() => location.realRoot);
          return null;
        },
      });
    }
  }
  return config;
}
