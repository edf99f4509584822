/** Session ids: 256 random bits, base64url. The only way ids are made or trusted. */

/** Random bytes in an id (256 bits, well above the 128 bits required). */
const ID_BYTES = 32;

/** 32 bytes in base64url without padding: 43 characters of [A-Za-z0-9_-]. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new unguessable session id from `crypto.getRandomValues`. */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ID_BYTES));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Whether a value has the shape of an id this server issues. Checked before any lookup: an id
 * that fails is never used as a key or in a file name.
 */
export function isSessionId(value: string): boolean {
  return ID_PATTERN.test(value);
}
