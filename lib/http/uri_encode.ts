/** Percent-encoding of decoded paths for Location headers and links. */

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";

/** Unreserved (RFC 3986): ALPHA DIGIT - . _ ~ */
function isUnreserved(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/** Allowed in a path as is: unreserved, sub-delims, ":", "@" and "/". */
function isPathChar(c: number): boolean {
  return isUnreserved(c) || c === 0x2f || c === 0x3a || c === 0x40 ||
    (c >= 0x26 && c <= 0x2c) || c === 0x21 || c === 0x24 || c === 0x3b || c === 0x3d;
}

function encode(text: string, keep: (c: number) => boolean): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && keep(c)) continue;
    out += text.slice(start, i);
    // One code point (a surrogate pair counts once), written as its UTF-8 bytes.
    const cp = text.codePointAt(i) ?? c;
    const ch = String.fromCodePoint(cp);
    for (const b of encoder.encode(ch)) out += "%" + HEX[b >> 4] + HEX[b & 15];
    i += ch.length - 1;
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

/** Encodes a decoded path for a URI ("/a b/?" → "/a%20b/%3F"), keeping "/" and sub-delims. */
export function encodePath(path: string): string {
  return encode(path, isPathChar);
}

/** Encodes one file name for a relative link: everything but unreserved chars ("a:b" → "a%3Ab"). */
export function encodeSegment(name: string): string {
  return encode(name, isUnreserved);
}

/**
 * A URL made safe for a `Location` field: controls, spaces and non-ASCII percent-encoded (UTF-8),
 * the rest as written, so that no value can break the header line.
 */
export function safeUrl(url: string): string {
  // deno-lint-ignore no-control-regex
  return url.replace(/[\x00-\x20\x7f-\uffff]+/g, (run) => encodeURIComponent(run.toWellFormed()));
}
