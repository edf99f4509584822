/**
 * `log_format name [escape=default|json|none] string …;` (nginx's log module): a template of
 * variables for access-log lines; `combined` is predefined. Variable values are escaped as nginx
 * escapes them: by default `"`, `\` and bytes below 0x20 or above 0x7e as `\xHH`; for JSON, as
 * JSON string content; or not at all.
 */
import { compileTemplate, expand, type Template } from "../variables/template.ts";
import type { VariableScope } from "../variables/variables.ts";

export type LogEscape = "default" | "json" | "none";

export interface LogFormat {
  name: string;
  template: Template;
  escape: LogEscape;
}

/** nginx's predefined format. */
export const COMBINED: LogFormat = {
  name: "combined",
  template: compileTemplate(
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ' +
      '"$http_referer" "$http_user_agent"',
  ) as Template,
  escape: "default",
};

/** One line of the log (its newline included). */
export function formatLine(format: LogFormat, scope: VariableScope): string {
  const escape = ESCAPES[format.escape];
  return expand(format.template, scope, (value) => escape(value)) + "\n";
}

const hex = (c: string) => "\\x" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");

const ESCAPES: Record<LogEscape, (value: string) => string> = {
  // An empty value is "-", as nginx writes an unset variable.
  // deno-lint-ignore no-control-regex
  default: (value) => value === "" ? "-" : value.replace(/["\\\x00-\x1f\x7f-\xff]/g, hex),
  json: (value) => JSON.stringify(value).slice(1, -1),
  none: (value) => value,
};
