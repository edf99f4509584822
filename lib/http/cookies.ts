/** The `Cookie` request header (parsed leniently) and `Set-Cookie` (written strictly), RFC 6265. */
import { httpDate } from "../http/date.ts";

/** A cookie name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters: a value holding one is junk. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
/** RFC 6265 cookie-octet: what `Set-Cookie` may carry unquoted. */
const COOKIE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
/** What a Path attribute may hold: no controls and no ";". */
// deno-lint-ignore no-control-regex
const PATH_VALUE = /^[^\x00-\x1f\x7f;]+$/;

/**
 * Parses `Cookie` header values (several headers are read as one list) into name → value. Pairs
 * are split on ";" and trimmed of spaces and tabs; a value in double quotes loses them; "=" may
 * occur in a value. The first of duplicate names wins (the browser sends the most specific path
 * first). Junk is skipped: a pair without "=", a name that is not a token, a value with control
 * characters. Values are kept as sent (no percent-decoding). Never throws.
 */
export function parseCookies(header: string | readonly string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  const values = header === undefined ? [] : typeof header === "string" ? [header] : header;
  for (const value of values) {
    for (const pair of value.split(";")) {
      const eq = pair.indexOf("=");
      // No "=": not a cookie (RFC 6265 §5.2 ignores such a pair).
      if (eq < 0) continue;
      const name = trim(pair.slice(0, eq));
      if (!TOKEN.test(name) || cookies.has(name)) continue;
      let text = trim(pair.slice(eq + 1));
      if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
      if (CONTROL.test(text)) continue;
      cookies.set(name, text);
    }
  }
  return cookies;
}

/** The attributes `serializeSetCookie` writes, in this order. */
export interface SetCookieOptions {
  /** `Path`; "/" when absent. */
  path?: string;
  /** `Max-Age` in seconds (rounded down; 0 or less expires the cookie at once). */
  maxAge?: number;
  /** `Expires`, for clients that ignore Max-Age. */
  expires?: Date;
  httpOnly?: boolean;
  sameSite?: "Strict" | "Lax" | "None";
  secure?: boolean;
}

/**
 * Writes a `Set-Cookie` value: `name=value; Path=/; Max-Age=…; Expires=…; HttpOnly; SameSite=…;
 * Secure`. Throws on a name that is not a token, a value outside RFC 6265's cookie-octets, a path
 * with ";" or controls, or `SameSite=None` without `Secure` (browsers reject it).
 */
export function serializeSetCookie(
  name: string,
  value: string,
  options: SetCookieOptions = {},
): string {
  if (!TOKEN.test(name)) throw new Error(`Invalid cookie name "${name}"`);
  if (!COOKIE_OCTETS.test(value)) throw new Error(`Invalid cookie value "${value}"`);
  const path = options.path ?? "/";
  if (!PATH_VALUE.test(path)) throw new Error(`Invalid cookie path "${path}"`);
  if (options.sameSite === "None" && !options.secure) {
    throw new Error(`Cookie "${name}" with SameSite=None must be Secure`);
  }
  let out = `${name}=${value}; Path=${path}`;
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new Error(`Invalid Max-Age "${options.maxAge}"`);
    out += `; Max-Age=${Math.max(0, Math.floor(options.maxAge))}`;
  }
  if (options.expires !== undefined) out += `; Expires=${httpDate(options.expires)}`;
  if (options.httpOnly) out += "; HttpOnly";
  if (options.sameSite !== undefined) out += `; SameSite=${options.sameSite}`;
  if (options.secure) out += "; Secure";
  return out;
}

/** Trims spaces and tabs (the only whitespace RFC 6265 allows around pairs). */
function trim(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
}
