/** The block directives: `events { }`, `http { }`, `server { }` and `location … { }`. */
import type { BlockDirective, Scope } from "./directive.ts";
import { serverOf } from "./directive.ts";
import type { LocationDraft, ServerDraft } from "./draft.ts";
import type { LocationModifier } from "./types.ts";

/** What `location` says: how it matches and what (the URI, the expression, the name). */
interface LocationArgs {
  modifier: LocationModifier;
  path: string;
}

/**
 * The arguments of `location`, as nginx reads them: `[= | ^~ | ~ | ~*] uri`, or the modifier glued
 * to the URI (`=/x`, `^~/x`, `~\.php$`, `~*\.jpg$`), or `@name`.
 */
function parseLocationArgs(args: string[]): LocationArgs | { error: string } {
  if (args.length === 2) {
    const [modifier = "", path = ""] = args;
    if (modifier !== "=" && modifier !== "^~" && modifier !== "~" && modifier !== "~*") {
      return { error: `invalid location modifier "${modifier}"` };
    }
    return checkPath({ modifier, path });
  }
  const text = args[0] ?? "";
  const glued = /^(=|\^~|~\*|~)/.exec(text)?.[1] as LocationModifier | undefined;
  if (glued !== undefined) return checkPath({ modifier: glued, path: text.slice(glued.length) });
  if (text.startsWith("@")) return { modifier: "@", path: text };
  return checkPath({ modifier: "", path: text });
}

/** A URI must start with "/" (nginx takes others, which no request can match). */
function checkPath(args: LocationArgs): LocationArgs | { error: string } {
  const regex = args.modifier === "~" || args.modifier === "~*";
  if (args.path === "") return { error: "invalid location, it has no URI" };
  if (!regex && !args.path.startsWith("/")) {
    return { error: `invalid location "${args.path}", it must start with "/"` };
  }
  return args;
}

/**
 * Compiles a location's regular expression. nginx's are PCRE; JavaScript's take the usual ones
 * (`\.(gif|jpg)$`, `^/api/(.*)$`), PCRE's named groups `(?P<name>…)`, and a leading `(?i)`.
 */
export function compileLocationRegex(
  source: string,
  caseless: boolean,
): RegExp | { error: string } {
  let text = source.replaceAll("(?P<", "(?<");
  let flags = caseless ? "i" : "";
  if (text.startsWith("(?i)")) {
    text = text.slice(4);
    flags = "i";
  }
  try {
    return new RegExp(text, flags);
  } catch (e) {
    return { error: `invalid regular expression "${source}": ${(e as Error).message}` };
  }
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
    script: [],
    tryFiles: null,
    acme: null,
    pos: { file: env.file, line: env.line },
  };
  scope.main.servers.push(server);
  return {
    context: "server",
    main: scope.main,
    server,
    location: null,
    upstream: null,
    issuer: null,
  };
};

/** Whether two static locations are the same one: one URI, both exact or both prefixes. */
function sameStatic(a: LocationArgs, b: LocationArgs): boolean {
  const regex = (m: LocationModifier) => m === "~" || m === "~*";
  if (regex(a.modifier) || regex(b.modifier) || a.path !== b.path) return false;
  return (a.modifier === "=") === (b.modifier === "=");
}

export const locationBlock: BlockDirective["open"] = (scope, args, env): Scope => {
  const parsed = parseLocationArgs(args);
  if ("error" in parsed) throw env.error(parsed.error);
  const { modifier, path } = parsed;
  const parent = scope.location;
  // nginx's rules for nested locations.
  if (parent !== null) {
    if (parent.modifier === "=") {
      throw env.error(`location "${path}" cannot be inside the exact location "${parent.path}"`);
    }
    if (parent.modifier === "@") {
      throw env.error(`location "${path}" cannot be inside the named location "${parent.path}"`);
    }
    if (modifier === "@") {
      throw env.error(`named location "${path}" can be on the server level only`);
    }
    const regex = modifier === "~" || modifier === "~*";
    if (!regex && !path.startsWith(parent.path)) {
      throw env.error(`location "${path}" is outside location "${parent.path}"`);
    }
  }
  const siblings = parent?.locations ?? serverOf(scope).locations;
  if (siblings.some((l) => sameStatic(l, parsed) || (modifier === "@" && l.path === path))) {
    throw env.error(`duplicate location "${path}"`);
  }
  let regex: RegExp | null = null;
  if (modifier === "~" || modifier === "~*") {
    const compiled = compileLocationRegex(path, modifier === "~*");
    if ("error" in compiled) throw env.error(compiled.error);
    regex = compiled;
  }
  const location: LocationDraft = {
    path,
    modifier,
    regex,
    locations: [],
    settings: {},
    alias: null,
    script: [],
    tryFiles: null,
    proxyPass: null,
    pos: { file: env.file, line: env.line },
  };
  siblings.push(location);
  return { ...scope, context: "location", location };
};
