/** The block directives: `server { }` and `location [=] /uri { }`. */
import type { BlockDirective, Scope } from "./directive.ts";
import { serverOf } from "./directive.ts";
import type { LocationDraft, ServerDraft } from "./draft.ts";

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

/** `events { }`: connection processing; only worker_connections does something here. */
export const eventsBlock: BlockDirective["open"] = (scope): Scope => ({
  ...scope,
  context: "events",
});

/** `http { }`: its settings are the top level's (the bare form, without `http`, is the same). */
export const httpBlock: BlockDirective["open"] = (scope): Scope => ({ ...scope, context: "http" });

export const serverBlock: BlockDirective["open"] = (scope, _args, env): Scope => {
  const server: ServerDraft = {
    settings: {},
    listen: [],
    serverNames: [],
    locations: [],
    sessions: {},
    return: null,
    pos: { file: scope.main.file, line: env.line },
  };
  scope.main.servers.push(server);
  return { context: "server", main: scope.main, server, location: null };
};

export const locationBlock: BlockDirective["open"] = (scope, args, env): Scope => {
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
};
