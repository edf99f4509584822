/**
 * A minimal DER reader (ITU-T X.690 §10), enough to walk an X.509 certificate: a value's tag,
 * its content and its children. Definite lengths only, minimal length encodings only, single-byte
 * tags only; anything else, or a length running past the end, is a SyntaxError.
 *
 * - `readDer(bytes)`: the single value `bytes` hold (trailing bytes are an error).
 * - `children(value)`: the values inside a constructed value, in order.
 * - `readOid(value)`, `readInteger(value)` (bigint), `readTime(value)` (UTCTime or
 *   GeneralizedTime as a Date), `readString(value)` (the string types, as text), and
 *   `expectTag(value, tag)` (a SyntaxError unless the tag is that one).
 */

/** One decoded value: its tag byte, its content, and the whole encoding. */
export interface DerValue {
  /** The identifier octet, e.g. 0x30 for SEQUENCE, 0xa3 for [3] constructed. */
  tag: number;
  /** The content octets (a view into the input). */
  content: Uint8Array<ArrayBuffer>;
  /** The complete encoding, header included (a view into the input). */
  encoded: Uint8Array<ArrayBuffer>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The value at `offset` of `bytes`, and the offset after it. */
function readAt(bytes: Uint8Array<ArrayBuffer>, offset: number): [DerValue, number] {
  const tag = bytes[offset];
  if (tag === undefined) throw new SyntaxError("DER: truncated (no tag)");
  if ((tag & 0x1f) === 0x1f) throw new SyntaxError("DER: multi-byte tag");
  const first = bytes[offset + 1];
  if (first === undefined) throw new SyntaxError("DER: truncated (no length)");
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new SyntaxError("DER: indefinite length");
    if (count > 4) throw new SyntaxError("DER: length too long");
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[offset + 2 + i];
      if (b === undefined) throw new SyntaxError("DER: truncated (length)");
      if (i === 0 && b === 0) throw new SyntaxError("DER: non-minimal length");
      length = length * 256 + b;
    }
    if (length < 0x80) throw new SyntaxError("DER: non-minimal length");
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new SyntaxError("DER: length past the end of the input");
  return [{
    tag,
    content: bytes.subarray(offset + header, end),
    encoded: bytes.subarray(offset, end),
  }, end];
}

/** The one value `bytes` hold. */
export function readDer(bytes: Uint8Array<ArrayBuffer>): DerValue {
  const [value, end] = readAt(bytes, 0);
  if (end !== bytes.length) throw new SyntaxError("DER: trailing bytes");
  return value;
}

/** The values inside constructed `value`. */
export function children(value: DerValue): DerValue[] {
  if (!(value.tag & 0x20)) throw new SyntaxError(`DER: tag 0x${hex(value.tag)} is not constructed`);
  const out: DerValue[] = [];
  for (let offset = 0; offset < value.content.length;) {
    const [child, end] = readAt(value.content, offset);
    out.push(child);
    offset = end;
  }
  return out;
}

/** The dotted form of an OBJECT IDENTIFIER. */
export function readOid(value: DerValue): string {
  expectTag(value, 0x06);
  const arcs: bigint[] = [];
  let arc = 0n;
  for (const [i, b] of value.content.entries()) {
    if (arc === 0n && b === 0x80) throw new SyntaxError("DER: non-minimal OID arc");
    arc = (arc << 7n) | BigInt(b & 0x7f);
    if (b & 0x80) {
      if (i === value.content.length - 1) throw new SyntaxError("DER: truncated OID");
      continue;
    }
    arcs.push(arc);
    arc = 0n;
  }
  const [head] = arcs;
  if (head === undefined) throw new SyntaxError("DER: empty OID");
  const first = head < 80n ? head / 40n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join(".");
}

/** An INTEGER as a bigint (two's complement). */
export function readInteger(value: DerValue): bigint {
  expectTag(value, 0x02);
  if (value.content.length === 0) throw new SyntaxError("DER: empty INTEGER");
  let n = 0n;
  for (const b of value.content) n = (n << 8n) | BigInt(b);
  if ((value.content[0] ?? 0) & 0x80) n -= 1n << BigInt(value.content.length * 8);
  return n;
}

/** A UTCTime (years 1950–2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime, in UTC, seconds. */
export function readTime(value: DerValue): Date {
  const text = decoder.decode(value.content);
  let match: RegExpMatchArray | null;
  let year: number;
  if (value.tag === 0x17) {
    match = text.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (match === null) throw new SyntaxError(`DER: UTCTime "${text}"`);
    const yy = Number(match[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (value.tag === 0x18) {
    match = text.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (match === null) throw new SyntaxError(`DER: GeneralizedTime "${text}"`);
    year = Number(match[1]);
  } else {
    throw new SyntaxError(`DER: tag 0x${hex(value.tag)} is not a time`);
  }
  const [, , mo, d, h, mi, s] = match.map(Number);
  const ms = Date.UTC(year, (mo ?? 1) - 1, d, h, mi, s);
  return new Date(ms);
}

/** The text of a UTF8String, PrintableString, IA5String, or T61String read as Latin-1. */
export function readString(value: DerValue): string {
  switch (value.tag) {
    case 0x0c:
      return decoder.decode(value.content);
    case 0x13:
    case 0x16:
    case 0x14:
      return String.fromCharCode(...value.content);
    default:
      throw new SyntaxError(`DER: tag 0x${hex(value.tag)} is not a string type read here`);
  }
}

/** A SyntaxError unless `value` has tag `tag`. */
export function expectTag(value: DerValue, tag: number): void {
  if (value.tag !== tag) {
    throw new SyntaxError(`DER: tag 0x${hex(value.tag)} where 0x${hex(tag)} was expected`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
