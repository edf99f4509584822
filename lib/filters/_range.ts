/** The `Range: bytes=…` header, as far as a single-range server needs it (RFC 9110 §14). */

/** An inclusive byte range inside the representation. */
export interface ByteRange {
  start: number;
  end: number;
}

const DIGITS = /^\d{1,15}$/;

/**
 * Parses a Range header against a representation of `size` bytes. Returns the range to send,
 * "unsatisfiable" (answer 416), or null to ignore the header and send everything: a malformed
 * header, another unit, or several ranges (which RFC 9110 lets a server answer with 200).
 */
export function parseRange(header: string, size: number): ByteRange | "unsatisfiable" | null {
  const eq = header.indexOf("=");
  // The unit is case-insensitive; only "bytes" is known.
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return null;
  const spec = header.slice(eq + 1).trim();
  // Several ranges: send the whole representation instead of multipart/byteranges.
  if (spec.includes(",")) return null;
  const dash = spec.indexOf("-");
  if (dash < 0) return null;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === "") {
    // "-n": the last n bytes; "-0" selects nothing. A suffix of an empty file is satisfiable
    // but no 206 can say so: the whole (empty) file is sent (RFC 9110 §14.1.1, as nginx does).
    if (!DIGITS.test(last)) return null;
    const n = Number(last);
    if (n === 0) return "unsatisfiable";
    if (size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  if (!DIGITS.test(first)) return null;
  const start = Number(first);
  let end = size - 1;
  if (last !== "") {
    // "a-b" with b < a is invalid: ignore the header.
    if (!DIGITS.test(last)) return null;
    const requested = Number(last);
    if (requested < start) return null;
    end = Math.min(requested, size - 1);
  }
  // A start at or past the end selects nothing.
  if (start >= size) return "unsatisfiable";
  return { start, end };
}
