/** Splits a header value with parameters (`form-data; name="a"; filename="b.txt"`). */

/** The leading value of a header (lower-cased) and its parameters (names lower-cased). */
export interface ParamValue {
  value: string;
  /** The first occurrence of each parameter wins. */
  params: Map<string, string>;
}

const SP = " ";
const HT = "\t";

function skipSpace(s: string, pos: number): number {
  while (pos < s.length && (s[pos] === SP || s[pos] === HT)) pos++;
  return pos;
}

/**
 * Parses `value *( ";" name "=" ( token / quoted-string ) )`. In a quoted string `\"` and `\\`
 * stand for `"` and `\`; any other backslash is kept as written, because browsers and old clients
 * send Windows paths unescaped (`filename="C:\x\y.txt"`). A parameter without "=" is skipped.
 * Returns null for an unterminated quoted string or text after one.
 */
export function parseParams(header: string): ParamValue | null {
  const params = new Map<string, string>();
  const semi = header.indexOf(";");
  const value = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  let pos = semi === -1 ? header.length : semi;
  while (pos < header.length) {
    // At a ";": the next parameter, if any, follows it.
    pos = skipSpace(header, pos + 1);
    const eq = header.indexOf("=", pos);
    const nextSemi = header.indexOf(";", pos);
    if (eq === -1 || (nextSemi !== -1 && nextSemi < eq)) {
      // A bare word (or nothing) before the next ";": not a parameter.
      pos = nextSemi === -1 ? header.length : nextSemi;
      continue;
    }
    const name = header.slice(pos, eq).trim().toLowerCase();
    pos = skipSpace(header, eq + 1);
    let text: string;
    if (header[pos] === '"') {
      const quoted = readQuoted(header, pos);
      if (quoted === null) return null;
      text = quoted.text;
      pos = skipSpace(header, quoted.end);
      if (pos < header.length && header[pos] !== ";") return null;
    } else {
      const end = header.indexOf(";", pos);
      text = header.slice(pos, end === -1 ? header.length : end).trim();
      pos = end === -1 ? header.length : end;
    }
    if (name !== "" && !params.has(name)) params.set(name, text);
  }
  return { value, params };
}

/** Reads the quoted string starting at `start` (a `"`); returns its text and the index after it. */
function readQuoted(s: string, start: number): { text: string; end: number } | null {
  let text = "";
  let pos = start + 1;
  while (pos < s.length) {
    const c = s[pos]!;
    if (c === '"') return { text, end: pos + 1 };
    if (c === "\\" && (s[pos + 1] === '"' || s[pos + 1] === "\\")) {
      text += s[pos + 1];
      pos += 2;
      continue;
    }
    text += c;
    pos++;
  }
  return null;
}
