/** The `proxy_*` directives with a syntax of their own (the timeouts and flags are slots). */
import { type Apply, innermost } from "./directive.ts";
import { template } from "./setters.ts";
import type { NextUpstream, ProxyRedirectRule } from "./types.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What `proxy_next_upstream` may name (nginx's list; `off` alone turns retries off). */
const NEXT_UPSTREAM: ReadonlySet<string> = new Set<NextUpstream>([
  "error",
  "timeout",
  "invalid_header",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_403",
  "http_404",
  "http_429",
  "non_idempotent",
]);

/** `proxy_set_header field value;`: lines add up at one level and replace the level above's. */
export const proxySetHeader: Apply = (scope, [name = "", value = ""], env) => {
  if (!TOKEN.test(name)) throw env.error(`invalid header name "${name}"`);
  const settings = innermost(scope).settings;
  settings.proxySetHeaders = [...(settings.proxySetHeaders ?? []), [name, template(value, env)]];
};

/** `proxy_hide_header field;` and `proxy_pass_header field;` (names compared without case). */
export function headerList(field: "proxyHideHeaders" | "proxyPassHeaders"): Apply {
  return (scope, [name = ""], env) => {
    if (!TOKEN.test(name)) throw env.error(`invalid header name "${name}"`);
    const settings = innermost(scope).settings;
    settings[field] = [...(settings[field] ?? []), name.toLowerCase()];
  };
}

/** `proxy_http_version 1.0 | 1.1;` */
export const proxyHttpVersion: Apply = (scope, [text = ""], env) => {
  if (text !== "1.0" && text !== "1.1") throw env.error(`invalid value "${text}"`);
  innermost(scope).settings.proxyHttpVersion = text;
};

/** `proxy_next_upstream error | timeout | … | off;` */
export const proxyNextUpstream: Apply = (scope, args, env) => {
  const settings = innermost(scope).settings;
  if (args.length === 1 && args[0] === "off") {
    settings.proxyNextUpstream = [];
    return;
  }
  for (const arg of args) if (!NEXT_UPSTREAM.has(arg)) throw env.error(`invalid value "${arg}"`);
  settings.proxyNextUpstream = args as NextUpstream[];
};

/**
 * `proxy_redirect default | off | from to;`: lines add up at one level. `default` stands for the
 * location's own proxy_pass, so it must follow one (nginx's rule); `off` stands alone.
 */
export const proxyRedirect: Apply = (scope, args, env) => {
  const settings = innermost(scope).settings;
  const current = settings.proxyRedirect;
  if (current === "off") throw env.error('"proxy_redirect" directive is duplicate');
  const rules: ProxyRedirectRule[] = current ?? [];
  if (args.length === 1) {
    const [value = ""] = args;
    if (value === "off") {
      if (current !== undefined) throw env.error('"proxy_redirect" directive is duplicate');
      settings.proxyRedirect = "off";
      return;
    }
    if (value !== "default") throw env.error(`invalid parameter "${value}"`);
    if (scope.location?.proxyPass == null) {
      throw env.error('"proxy_redirect default" should be placed after the "proxy_pass" directive');
    }
    settings.proxyRedirect = [...rules, { kind: "default" }];
    return;
  }
  const [from = "", to = ""] = args;
  if (from.startsWith("~")) {
    throw env.error("regular expressions in proxy_redirect are not supported by webserv");
  }
  settings.proxyRedirect = [
    ...rules,
    { kind: "prefix", from: template(from, env), to: template(to, env) },
  ];
};
