/**
 * A small DER encoder (ITU-T X.690 §10): just the types a PKCS#10 certificate request (RFC 2986)
 * and its extensions need. Every function returns the complete encoding (tag, length, content) of
 * one value, so values nest by passing encodings to `sequence`, `set` or `explicit`.
 *
 * - `tlv(tag, content)`: any tag byte with definite, minimal length (`encodeLength`); `TAG` names
 *   the universal tags.
 * - `integer(value)`: a bigint or safe integer (two's complement, minimal), or unsigned
 *   big-endian magnitude bytes (leading zeros dropped, 0x00 added when the high bit is set).
 * - `boolean`, `nullValue`, `objectIdentifier("1.2.840.10045.2.1")`.
 * - `utf8String`, `printableString` (its charset checked), `ia5String` (ASCII checked).
 * - `bitString(bytes, unusedBits = 0)`, `octetString(bytes)`.
 * - `sequence(...values)`, `set(...values)` (SET OF: elements sorted by encoding, as DER wants).
 * - `explicit(n, ...values)`: context-specific constructed [n] around encoded values;
 *   `implicit(n, content, constructed = false)`: [n] replacing a value's own tag.
 * - `concat(...parts)`: bytes joined.
 *
 * A RangeError for values DER cannot hold here (tag numbers above 30, malformed OIDs, characters
 * outside a string type's set).
 */

/** Universal tag bytes used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const encoder = new TextEncoder();

/** `parts` joined into one array. */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The definite-form length octets of `length` (short form below 128, else minimal long form). */
export function encodeLength(length: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER: length ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** A value with tag byte `tag` and content `content`. */
export function tlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`DER: tag ${tag} (multi-byte tags are not supported)`);
  }
  return concat(Uint8Array.of(tag), encodeLength(content.length), content);
}

/**
 * An INTEGER. A number or bigint is encoded in minimal two's complement; bytes are an unsigned
 * big-endian magnitude (as in an ECDSA r or s, or a serial number).
 */
export function integer(value: bigint | number | Uint8Array): Uint8Array<ArrayBuffer> {
  if (value instanceof Uint8Array) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const magnitude = value.length === 0 ? Uint8Array.of(0) : value.subarray(start);
    const pad = (magnitude[0] ?? 0) & 0x80 ? Uint8Array.of(0) : new Uint8Array(0);
    return tlv(TAG.INTEGER, concat(pad, magnitude));
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`DER: INTEGER ${value} is not a safe integer`);
  }
  let n = BigInt(value);
  const bytes: number[] = [];
  // Emit low bytes until what is left is the sign extension of the last byte emitted.
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (
    !((n === 0n && ((bytes[0] ?? 0) & 0x80) === 0) || (n === -1n && (bytes[0] ?? 0) & 0x80))
  );
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** A BOOLEAN (DER: 0xff for true). */
export function boolean(value: boolean): Uint8Array<ArrayBuffer> {
  return tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/** NULL. */
export function nullValue(): Uint8Array<ArrayBuffer> {
  return tlv(TAG.NULL, new Uint8Array(0));
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. "2.5.29.17". */
export function objectIdentifier(dotted: string): Uint8Array<ArrayBuffer> {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`DER: OID "${dotted}"`);
  const arcs = dotted.split(".").map(BigInt);
  const [first = 0n, second = 0n, ...rest] = arcs;
  if (first < 2n && second > 39n) throw new RangeError(`DER: OID "${dotted}"`);
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) group.unshift(Number(n & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return tlv(TAG.OBJECT_IDENTIFIER, Uint8Array.from(bytes));
}

/** A UTF8String. */
export function utf8String(text: string): Uint8Array<ArrayBuffer> {
  return tlv(TAG.UTF8_STRING, encoder.encode(text));
}

/** A PrintableString: letters, digits, space and `'()+,-./:=?` only (X.680 §41.4). */
export function printableString(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw new RangeError(`DER: "${text}" is not a PrintableString`);
  }
  return tlv(TAG.PRINTABLE_STRING, encoder.encode(text));
}

/** An IA5String (ASCII), as dNSName in a GeneralName. */
export function ia5String(text: string): Uint8Array<ArrayBuffer> {
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`DER: "${text}" is not an IA5String`);
  return tlv(TAG.IA5_STRING, encoder.encode(text));
}

/** A BIT STRING of `bytes`, whose last `unusedBits` bits (0 to 7) are padding. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`DER: ${unusedBits} unused bits`);
  }
  if (bytes.length === 0 && unusedBits !== 0) throw new RangeError("DER: empty BIT STRING");
  return tlv(TAG.BIT_STRING, concat(Uint8Array.of(unusedBits), bytes));
}

/** An OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** A SEQUENCE of encoded values, in the order given. */
export function sequence(...values: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.SEQUENCE, concat(...values));
}

/** A SET OF encoded values, sorted by their encodings (X.690 §11.6). */
export function set(...values: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.SET, concat(...[...values].sort(compareBytes)));
}

/** Context-specific constructed `[n]` (EXPLICIT tagging) around encoded values. */
export function explicit(n: number, ...values: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(contextTag(n, true), concat(...values));
}

/**
 * Context-specific `[n]` with `content` as its content (IMPLICIT tagging: the tag replaces the
 * value's own). `constructed` must match the underlying type (false for strings).
 */
export function implicit(
  n: number,
  content: Uint8Array,
  constructed = false,
): Uint8Array<ArrayBuffer> {
  return tlv(contextTag(n, constructed), content);
}

function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`DER: context tag [${n}]`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  }
  return a.length - b.length;
}
