/** The Content-Disposition header of a multipart/form-data part (RFC 7578 §4.2, RFC 8187). */
import { latin1 } from "../http/latin1.ts";
import { HttpError } from "../http/errors.ts";
import { parseParams } from "./_params.ts";

/** What a part's Content-Disposition says. */
export interface ContentDisposition {
  /** Lower-cased disposition type ("form-data"). */
  type: string;
  /** The form field name ("" when absent). */
  name: string;
  /** The file name as sent (`filename*` preferred over `filename`), or null for a plain field. */
  filename: string | null;
}

/**
 * Parses `form-data; name="f"; filename="a.txt"` (quoted-string escapes, raw UTF-8 names) and
 * `filename*=UTF-8''na%C3%AFve.txt`. Throws HttpError(400) when the value cannot be parsed.
 */
export function parseContentDisposition(header: string): ContentDisposition {
  const parsed = parseParams(header);
  if (parsed === null || parsed.value === "") {
    throw new HttpError(400, `Malformed Content-Disposition "${clip(header)}"`);
  }
  const extended = parsed.params.get("filename*");
  const decoded = extended === undefined ? null : decodeExtValue(extended);
  return {
    type: parsed.value,
    name: parsed.params.get("name") ?? "",
    filename: decoded ?? parsed.params.get("filename") ?? null,
  };
}

/**
 * Decodes an RFC 8187 ext-value (`charset'language'pct-encoded`). Returns null for a charset other
 * than UTF-8 or ISO-8859-1 (the plain `filename` is used instead); throws on bad encoding.
 */
function decodeExtValue(value: string): string | null {
  const first = value.indexOf("'");
  const second = first === -1 ? -1 : value.indexOf("'", first + 1);
  if (second === -1) throw new HttpError(400, `Malformed filename* "${clip(value)}"`);
  const charset = value.slice(0, first).toLowerCase();
  const bytes = percentDecode(value.slice(second + 1));
  if (bytes === null) throw new HttpError(400, `Malformed filename* "${clip(value)}"`);
  if (charset === "utf-8") {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new HttpError(400, `Invalid UTF-8 in filename* "${clip(value)}"`);
    }
  }
  if (charset === "iso-8859-1") return latin1(bytes);
  return null;
}

function percentDecode(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else if (c < 0x80) {
      out[n++] = c;
    } else {
      return null;
    }
  }
  return out.subarray(0, n);
}

function clip(text: string): string {
  return text.length > 100 ? text.slice(0, 100) + "…" : text;
}
