/** The arguments of `return`: `return 404;`, `return 301 /new/;`, `return 200 "text";`, `return https://x/;`. */
import { compileTemplate } from "../variables/template.ts";
import type { ReturnDirective } from "./types.ts";

/**
 * Parses the arguments of `return` like nginx: a code 0..999 and an optional URL or text, or a
 * lone `http://`/`https://` URL meaning a 302 redirect; the URL or text may hold variables.
 * Returns the directive, or the error (`invalid return code "abc"`, `unknown "x" variable`).
 */
export function parseReturn(args: readonly string[]): ReturnDirective | { error: string } {
  const [first = "", second] = args;
  const lone = args.length === 1 && /^https?:\/\//.test(first);
  if (!lone && !/^\d{1,3}$/.test(first)) return { error: `invalid return code "${first}"` };
  const code = lone ? 302 : Number(first);
  const source = lone ? first : second;
  if (source === undefined) return { code };
  const text = compileTemplate(source);
  if ("error" in text) return text;
  return { code, text };
}
