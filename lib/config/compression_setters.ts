/** The compression directives with a syntax of their own (levels, lengths and flags are slots). */
import { type Apply, innermost } from "./directive.ts";
import type { GzipProxied } from "./types.ts";

const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$/;

const PROXIED: ReadonlySet<string> = new Set<GzipProxied>([
  "off",
  "expired",
  "no-cache",
  "no-store",
  "private",
  "no_last_modified",
  "no_etag",
  "auth",
  "any",
]);

/** `gzip_types type …;` and `brotli_types type …;` (`*`: any type; text/html is always one). */
export function compressionTypes(field: "gzipTypes" | "brotliTypes"): Apply {
  return (scope, args, env) => {
    const types = ["text/html"];
    for (const arg of args) {
      const type = arg.toLowerCase();
      if (type !== "*" && !MIME.test(type)) throw env.error(`invalid MIME type "${arg}"`);
      if (!types.includes(type)) types.push(type);
    }
    innermost(scope).settings[field] = types;
  };
}

/** `gzip_proxied off | any | expired no-cache … ;` */
export const gzipProxied: Apply = (scope, args, env) => {
  for (const arg of args) if (!PROXIED.has(arg)) throw env.error(`invalid value "${arg}"`);
  innermost(scope).settings.gzipProxied = args as GzipProxied[];
};

/** `gzip_disable msie6 | regex …;`: User-Agents (case-insensitive expressions) never compressed. */
export const gzipDisable: Apply = (scope, args, env) => {
  const rules: ("msie6" | RegExp)[] = [];
  for (const arg of args) {
    if (arg === "msie6") {
      rules.push("msie6");
      continue;
    }
    try {
      rules.push(new RegExp(arg, "i"));
    } catch (e) {
      throw env.error(`invalid regular expression "${arg}": ${(e as Error).message}`);
    }
  }
  innermost(scope).settings.gzipDisable = rules;
};
