/** Safe URI path handling: percent-decoding, dot segments, and mapping under root or alias. */
import type { LocationConfig } from "../config/types.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes a raw request path ("/a%20b/../c") once and resolves its dot segments ("/c"). Returns
 * null for a path nginx answers with 400: one that does not start with "/", a bad "%" escape,
 * bytes that are not UTF-8, a NUL, or a ".." that climbs above the root.
 */
export function decodePath(rawPath: string): string | null {
  // Only origin-form paths: "*", "http://…" and "" are not file paths.
  if (rawPath.charCodeAt(0) !== 0x2f) return null;
  const decoded = percentDecode(rawPath);
  if (decoded === null) return null;
  // A NUL, raw or "%00", would cut the file name short in the OS.
  if (decoded.includes("\0")) return null;
  return removeDotSegments(decoded);
}

/** Decodes %XX escapes as UTF-8; null for a malformed escape or invalid (e.g. overlong) UTF-8. */
function percentDecode(raw: string): string | null {
  let plain = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || c > 0x7e) {
      plain = false;
      break;
    }
  }
  // The common case: nothing to decode.
  if (plain) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      // "%" must be followed by two hex digits.
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c <= 0xff) {
      // Raw bytes arrive latin1-decoded from the request parser: one char per byte.
      bytes.push(c);
    } else {
      // A char beyond latin1 (only from callers passing JS strings) is taken as its UTF-8 bytes.
      const cp = raw.codePointAt(i) ?? c;
      const ch = String.fromCodePoint(cp);
      for (const b of utf8Encoder.encode(ch)) bytes.push(b);
      i += ch.length - 1;
    }
  }
  try {
    // Fatal decoding rejects overlong forms ("%c0%ae" for "."), surrogates and truncations.
    return utf8.decode(new Uint8Array(bytes));
  } catch (e) {
    if (e instanceof TypeError) return null;
    throw e;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Normalises a path that is already decoded (one a `rewrite` or `try_files` made): it must start
 * with "/" and hold no NUL; dot segments are resolved; null when ".." leaves the root.
 */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 0x2f || path.includes("\0")) return null;
  return removeDotSegments(path);
}

/** Resolves "." and ".." and merges "//" in an absolute path; null when ".." leaves the root. */
function removeDotSegments(path: string): string | null {
  // Fast path: no "//", no "/." anywhere means there is nothing to resolve.
  if (!path.includes("//") && !path.includes("/.")) return path;
  const segments = path.split("/");
  const out: string[] = [];
  // segments[0] is the "" before the leading "/".
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    // "" (from "//") and "." name the current directory: drop them.
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      // ".." above the root is an attack or a broken client: reject, do not clamp.
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    // Anything else, "\" and "..." included, is an ordinary name.
    out.push(segment);
  }
  // A path that ended in "/", "/." or "/.." names a directory: keep its trailing slash.
  const last = segments[segments.length - 1];
  const trailing = last === "" || last === "." || last === "..";
  if (out.length === 0) return "/";
  return "/" + out.join("/") + (trailing ? "/" : "");
}

/**
 * Maps a decoded path (from decodePath) to a file path, nginx-style: with `root` the whole path is
 * appended to the root ("/a/b" → root + "/a/b"); with `alias` the location's prefix is replaced by
 * the alias (location "/x/" alias "/srv/y/": "/x/a" → "/srv/y/a"). Returns null when the result
 * would not stay inside the root or alias directory.
 */
export function mapToFile(path: string, location: LocationConfig): string | null {
  // Only decoded, resolved paths are accepted: an absolute path with no NUL and no ".." segment.
  if (path.charCodeAt(0) !== 0x2f || path.includes("\0") || hasDotDot(path)) return null;
  if (location.alias === null) {
    // Clients ask for the same file again and again: the last answer is kept (the same string
    // then keys the file cache, its hash already computed).
    if (path === lastPath && location.root === lastRoot) return lastFile;
    // root: the URI appended whole; a trailing "/" on the root is not doubled.
    lastFile = trimSlash(location.root) + path;
    lastPath = path;
    lastRoot = location.root;
    return lastFile;
  }
  let rest: string;
  if (path.startsWith(location.path)) {
    rest = path.slice(location.path.length);
  } else if (path + "/" === location.path) {
    // "/x" reaching "location /x/": the alias directory itself (the handler redirects to "/x/").
    rest = "";
  } else {
    return null;
  }
  // The prefix cut may leave "../x" ("location /img" alias "/data/i/" for "/img../x"): refuse it.
  if (hasDotDot(rest)) return null;
  const base = trimSlash(location.alias);
  let file: string;
  if (rest === "") {
    // The alias itself; "/x/" keeps its slash so that the result still names a directory.
    file = path.endsWith("/") ? base + "/" : base;
  } else if (
    rest.startsWith("/") || !location.path.endsWith("/") && !location.alias.endsWith("/")
  ) {
    // "/x" alias "/srv/y": "/x/a" → "/srv/y/a" (and "/xyz" → "/srv/yyz", refused below).
    file = base + rest;
  } else {
    // The rest is relative to the alias directory: "/x/" alias "/srv/y": "/x/a" → "/srv/y/a".
    file = base + "/" + rest;
  }
  // The result must be the alias directory or lie under it ("/img" alias "/a" must not reach "/ab").
  if (base !== "" && file !== base && !file.startsWith(base + "/")) return null;
  return file;
}

let lastPath = "";
let lastRoot = "";
let lastFile = "";

/** Whether any "/"-separated segment is exactly "..". */
function hasDotDot(path: string): boolean {
  if (!path.includes("..")) return false;
  return path.split("/").includes("..");
}

/** Drops one trailing "/" so that "/srv/www/" + "/a" does not give "//"; "/" becomes "". */
function trimSlash(dir: string): string {
  return dir.endsWith("/") ? dir.slice(0, -1) : dir;
}
