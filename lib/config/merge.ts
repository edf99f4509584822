/** Turns drafts into the final Config: defaults → server → location, one explicit step. */
import { dirname } from "node:path";
import {
  DEFAULT_ACCESS_LOG,
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_SESSIONS,
  DEFAULT_TIMEOUTS,
  defaultSettings,
} from "./defaults.ts";
import type { LocationDraft, MainDraft, ServerDraft } from "./draft.ts";
import type { Config, HttpSettings, Limits, LocationConfig, ServerConfig } from "./types.ts";

/**
 * The inheritance rule, used for both levels: every field the child did not set comes from the
 * parent. Maps (error pages, CGI) are replaced as a whole when the child sets any entry, like
 * nginx. Arrays and maps are copied, so no two configs share one.
 */
export function mergeSettings(parent: HttpSettings, child: Partial<HttpSettings>): HttpSettings {
  return {
    root: child.root ?? parent.root,
    index: [...(child.index ?? parent.index)],
    autoindex: child.autoindex ?? parent.autoindex,
    allowMethods: copyOrNull(
      child.allowMethods === undefined ? parent.allowMethods : child.allowMethods,
    ),
    clientMaxBodySize: child.clientMaxBodySize ?? parent.clientMaxBodySize,
    errorPages: new Map(child.errorPages ?? parent.errorPages),
    uploadStore: child.uploadStore === undefined ? parent.uploadStore : child.uploadStore,
    cgi: new Map(child.cgi ?? parent.cgi),
    cgiTimeout: child.cgiTimeout ?? parent.cgiTimeout,
    session: child.session ?? parent.session,
  };
}

function copyOrNull(list: string[] | null): string[] | null {
  return list === null ? null : [...list];
}

/** Exact locations first, then prefixes; longest first in each; ties in the order of the file. */
function compareLocations(a: LocationConfig, b: LocationConfig): number {
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  return b.path.length - a.path.length;
}

function mergeLocation(server: HttpSettings, draft: LocationDraft): LocationConfig {
  return {
    ...mergeSettings(server, draft.settings),
    path: draft.path,
    exact: draft.exact,
    alias: draft.alias,
    return: draft.return,
    pos: draft.pos,
  };
}

function mergeServer(
  defaults: HttpSettings,
  mainAccessLog: string | null,
  limits: Limits,
  draft: ServerDraft,
): ServerConfig {
  const settings = mergeSettings(defaults, draft.settings);
  const drafts = [...draft.locations];
  // Every request must match some location: add `location /` when the server has none.
  if (!drafts.some((l) => l.path === "/" && !l.exact)) {
    drafts.push({
      path: "/",
      exact: false,
      settings: {},
      alias: null,
      return: null,
      pos: draft.pos,
    });
  }
  return {
    ...settings,
    listen: draft.listen.length > 0 ? draft.listen.map((a) => ({ ...a })) : [{ ...DEFAULT_LISTEN }],
    serverNames: [...draft.serverNames],
    locations: drafts.map((l) => mergeLocation(settings, l)).sort(compareLocations),
    timeouts: { ...DEFAULT_TIMEOUTS, ...draft.timeouts },
    accessLog: draft.accessLog === undefined ? mainAccessLog : draft.accessLog,
    return: draft.return,
    limits,
    sessions: { ...DEFAULT_SESSIONS, ...draft.sessions },
    pos: draft.pos,
  };
}

/** Applies defaults and inheritance to every server and location of a file. */
export function mergeConfig(draft: MainDraft): Config {
  const defaults = defaultSettings(dirname(draft.file));
  const accessLog = draft.accessLog === undefined ? DEFAULT_ACCESS_LOG : draft.accessLog;
  const limits = { ...DEFAULT_LIMITS, ...draft.limits };
  return {
    file: draft.file,
    servers: draft.servers.map((server) => mergeServer(defaults, accessLog, limits, server)),
    limits,
  };
}
