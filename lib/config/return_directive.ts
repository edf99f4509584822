/** The arguments of `return`: `return 404;`, `return 301 /new/;`, `return 200 "text";`, `return https://x/;`. */
import type { ReturnDirective } from "./types.ts";

/**
 * Parses the arguments of `return` like nginx: a code 0..999 and an optional URL or text, or a
 * lone `http://`/`https://` URL meaning a 302 redirect. Returns the directive, or the error
 * (`invalid return code "abc"`).
 */
export function parseReturn(args: readonly string[]): ReturnDirective | { error: string } {
  const [first = "", text] = args;
  if (args.length === 1 && /^https?:\/\//.test(first)) return { code: 302, text: first };
  if (!/^\d{1,3}$/.test(first)) return { error: `invalid return code "${first}"` };
  const code = Number(first);
  return text === undefined ? { code } : { code, text };
}
