/** Text with `$name` or `${name}` in it, compiled once at configuration time, expanded per request. */
import { findVariable, type Variable, type VariableScope } from "./variables.ts";

/** A compiled value: literal pieces and variables in order. */
export interface Template {
  /** The text as written in the configuration. */
  readonly source: string;
  readonly parts: ReadonlyArray<string | Variable>;
}

/** `${name}`, `$name`, or `$1` (a capture: one digit, as in nginx, so `$10` is `$1` then "0"). */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9])\}|\$([A-Za-z_][A-Za-z0-9_]*|[0-9])/g;

/**
 * Compiles `text`. Returns the template, or nginx's error for a name that is no variable:
 * `unknown "hostt" variable`. A `$` not followed by a name is kept as written.
 */
export function compileTemplate(text: string): Template | { error: string } {
  const parts: (string | Variable)[] = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const name = (match[1] ?? match[2]!).toLowerCase();
    const variable = findVariable(name);
    if (variable === undefined) return { error: `unknown "${name}" variable` };
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(variable);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { source: text, parts };
}

/**
 * The template's text for a request. `map`, when given, is applied to each variable's value (a
 * URL encodes the decoded path of `$uri`, a log escapes what it writes); literals stay as written.
 */
export function expand(
  template: Template,
  ctx: VariableScope,
  map?: (value: string, variable: Variable) => string,
): string {
  let out = "";
  for (const part of template.parts) {
    if (typeof part === "string") out += part;
    else out += map === undefined ? part.get(ctx) : map(part.get(ctx), part);
  }
  return out;
}
