/**
 * base64url without padding (RFC 4648 §5, as JOSE and ACME use it: RFC 7515 §2, RFC 8555 §6.1).
 *
 * - `encodeBase64Url(data)`: bytes, an ArrayBuffer or a string (UTF-8) to unpadded base64url.
 * - `decodeBase64Url(text)`: back to bytes; strict: only the 64 characters of the alphabet, no
 *   padding, no white space, and the canonical encoding only (unused trailing bits must be zero),
 *   so that a value has exactly one spelling. Throws a SyntaxError otherwise.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;
const encoder = new TextEncoder();

/** `data` as unpadded base64url; a string is encoded as UTF-8 first. */
export function encodeBase64Url(data: Uint8Array | ArrayBuffer | string): string {
  const bytes = typeof data === "string"
    ? encoder.encode(data)
    : data instanceof Uint8Array
    ? data
    : new Uint8Array(data);
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** The bytes of unpadded, canonical base64url `text`; a SyntaxError for anything else. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!ALPHABET.test(text)) throw new SyntaxError("base64url: a character outside the alphabet");
  if (text.length % 4 === 1) throw new SyntaxError("base64url: a truncated final group");
  const bytes = Uint8Array.fromBase64(text, { alphabet: "base64url" });
  // Non-zero unused bits would give two spellings of the same bytes.
  if (encodeBase64Url(bytes) !== text) throw new SyntaxError("base64url: not canonical");
  return bytes;
}
