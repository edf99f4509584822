/**
 * The client's header fields of an upstream answer, as nginx's proxy module passes them: no
 * hop-by-hop fields, none of nginx's hidden ones (Date, Server, X-Pad, X-Accel-*) unless
 * `proxy_pass_header` names them, none that `proxy_hide_header` names, and `Location` and
 * `Refresh` rewritten by `proxy_redirect`.
 */
import type { LocationConfig, ProxyPass } from "../config/types.ts";
import type { RequestContext } from "../phases/context.ts";
import { expand } from "../variables/template.ts";
import { connectionOptions, hopByHop } from "./response_framing.ts";
import type { ResponseHead } from "./response_parser.ts";

/** nginx's ngx_http_proxy_hide_headers. */
const HIDDEN = [
  "date",
  "server",
  "x-pad",
  "x-accel-expires",
  "x-accel-redirect",
  "x-accel-limit-rate",
  "x-accel-buffering",
  "x-accel-charset",
];

const CANONICAL = new Map<string, string>();

/** "content-type" → "Content-Type": the parser lower-cases names; clients get the usual case. */
export function canonicalName(name: string): string {
  let canonical = CANONICAL.get(name);
  if (canonical === undefined) {
    canonical = name.replace(
      /(^|-)([a-z])/g,
      (_, dash: string, c: string) => dash + c.toUpperCase(),
    );
    // Names are the upstream's to choose: only so many are remembered.
    if (CANONICAL.size < 1000) CANONICAL.set(name, canonical);
  }
  return canonical;
}

/**
 * The names a location never passes on (lower case): the hop-by-hop fields, Content-Length (the
 * writer frames the answer), nginx's hidden ones and proxy_hide_header's, less those that
 * proxy_pass_header names. Made once per location.
 */
const droppedByLocation = new WeakMap<LocationConfig, Set<string>>();

function droppedNames(location: LocationConfig): Set<string> {
  let dropped = droppedByLocation.get(location);
  if (dropped === undefined) {
    dropped = hopByHop([]);
    dropped.add("content-length");
    // proxy_pass_header takes a name off the hidden list, nginx's and proxy_hide_header's alike.
    for (const name of [...HIDDEN, ...location.proxyHideHeaders]) {
      if (!location.proxyPassHeaders.includes(name)) dropped.add(name);
    }
    droppedByLocation.set(location, dropped);
  }
  return dropped;
}

/** The fields for the client, in the upstream's order (framing fields are the writer's). */
export function clientHeaders(ctx: RequestContext, head: ResponseHead): [string, string][] {
  const dropped = droppedNames(ctx.location);
  // The names the upstream's Connection lists are hop-by-hop too.
  const listed = connectionOptions(head.headers);
  const out: [string, string][] = [];
  for (const [name, value] of head.headers) {
    if (dropped.has(name) || listed?.has(name)) continue;
    if (name === "location") out.push(["Location", rewriteRedirect(ctx, value)]);
    else if (name === "refresh") out.push(["Refresh", rewriteRefresh(ctx, value)]);
    else out.push([canonicalName(name), value]);
  }
  return out;
}

/** `Refresh: 5; url=http://upstream/x`: the URL after `url=` is rewritten. */
function rewriteRefresh(ctx: RequestContext, value: string): string {
  const m = /url=/i.exec(value);
  if (m === null) return value;
  const at = m.index + m[0].length;
  return value.slice(0, at) + rewriteRedirect(ctx, value.slice(at));
}

/** A URL rewritten by the first `proxy_redirect` rule whose prefix starts it, else as it was. */
export function rewriteRedirect(ctx: RequestContext, url: string): string {
  const rules = ctx.location.proxyRedirect;
  const pass = ctx.location.proxyPass;
  if (rules === "off" || pass === null) return url;
  for (const rule of rules) {
    const [from, to] = rule.kind === "default"
      ? defaultRule(pass, ctx.location)
      : [expand(rule.from, ctx), expand(rule.to, ctx)];
    if (from !== "" && url.startsWith(from)) return to + url.slice(from.length);
  }
  return url;
}

/**
 * `proxy_redirect default`: the proxy_pass URL becomes the location's path (nginx's rule; a URL
 * without a URI part stands for its root, "/").
 */
function defaultRule(pass: ProxyPass, location: LocationConfig): [string, string] {
  if (pass.uri === null) return [pass.url + "/", "/"];
  return [pass.url, location.path];
}
