/**
 * Password files for `auth_basic_user_file` (ngx_http_auth_basic_module), with no knowledge of
 * HTTP: parse the `user:hash[:comment]` lines and check a password against a stored hash.
 *
 * Schemes, as nginx accepts them on Debian/Linux (its own code for the first four, the C
 * library's `crypt(3)` for the rest):
 * - `{PLAIN}text`, `{SHA}base64(sha1)`, `{SSHA}base64(sha1(password salt) salt)`
 * - `$apr1$` Apache MD5 (`htpasswd -m`, `openssl passwd -apr1`) and `$1$` MD5-crypt
 * - `$5$`, `$6$` SHA-256/SHA-512 crypt, with the optional `rounds=N$` (`openssl passwd -5/-6`,
 *   `htpasswd -2/-5`)
 * - bcrypt `$2a$`, `$2b$`, `$2y$` (`htpasswd -B`), through the pure JavaScript bcryptjs
 *
 * Any other scheme never verifies (`verifyPassword` returns false): traditional DES crypt (13
 * characters, `htpasswd -d`) and extended DES `_…`, which need the C library, and yescrypt `$y$`,
 * scrypt `$7$` and the other libxcrypt-only schemes.
 *
 * Like nginx, each scheme rebuilds the whole string `crypt(3)` would return for the stored
 * setting and compares it with the stored string, here in constant time. A stored string that is
 * not in the canonical form the scheme writes (garbled, truncated, `rounds=0100`) never matches,
 * and is refused before any hashing. Passwords are hashed as their UTF-8 bytes.
 */
import { createHash } from "node:crypto";
import { setImmediate } from "node:timers";
// Pinned inline (and in deno.lock) so that deno.json needs no import map, as tests/browser does.
// deno-lint-ignore no-import-prefix
import bcrypt from "npm:bcryptjs@3.0.3";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The alphabet of crypt(3)'s base64: `./0-9A-Za-z`, least significant 6 bits first. */
const CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** SHA-crypt rounds when the setting names none, and the range a `rounds=N$` is clamped to. */
const SHA_ROUNDS_DEFAULT = 5000;
const SHA_ROUNDS_MIN = 1000;
const SHA_ROUNDS_MAX = 999_999_999;

/** Hashing yields to the event loop after this many rounds (a few milliseconds of work). */
const ROUNDS_PER_SLICE = 1000;

/** A bcrypt hash: version, two-digit cost 4–31, 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(?:0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

/** The decoy for a file with no entries: an `$apr1$` hash of a random string. */
const DECOY_HASH = "$apr1$webservd$e8X0BXMmdX0d1hqlIoyka/";

/**
 * Parses a user file the way nginx reads it: one `user:hash` per line, where the hash ends at
 * the next `:` (the rest is a comment) or at the end of the line. Blank lines, lines starting with
 * `#` and lines without a colon are skipped; CRLF line ends are accepted. nginx stops at the
 * first line for a user, so the first entry wins.
 */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of text.split("\n")) {
    // Comments, blank lines and a lone CR: nginx skips the line at its first byte.
    if (line === "" || line.startsWith("#") || line.startsWith("\r")) continue;
    // No colon: nginx never reaches a password on this line.
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    // The hash stops at a comment or at the CR of a CRLF.
    const user = line.slice(0, colon);
    const hash = /^[^:\r]*/.exec(line.slice(colon + 1))![0];
    if (!users.has(user)) users.set(user, hash);
  }
  return users;
}

/**
 * Whether `password` matches the stored `hash` in one of the schemes listed in the module
 * comment. An unknown scheme or a malformed hash gives false; this never throws.
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const computed = await cryptLike(encoder.encode(password), password, hash);
  return computed !== null && constantTimeEqual(computed, hash);
}

/**
 * A loaded user file that a server holds for `auth_basic_user_file`. It is read once by `load`;
 * to pick up a change, the caller loads it again.
 */
export class UserFile {
  readonly #users: Map<string, string>;
  /** Checked for an unknown user, so that it costs as long as a known one. */
  readonly #decoy: string;

  /** A user file from entries as `parseHtpasswd` returns them. */
  constructor(users: Map<string, string>) {
    this.#users = users;
    // The first entry's hash has the scheme and cost the file uses; its answer is thrown away.
    this.#decoy = users.values().next().value ?? DECOY_HASH;
  }

  /** Reads and parses the file at `path`; rejects as `Deno.readTextFile` does (`NotFound`, …). */
  static async load(path: string): Promise<UserFile> {
    return new UserFile(parseHtpasswd(await Deno.readTextFile(path)));
  }

  /** How many users the file names. */
  get size(): number {
    return this.#users.size;
  }

  /**
   * Whether `user` is in the file and `password` matches their hash. An unknown user gives false
   * after checking the password against a decoy hash, so that names cannot be probed by timing.
   */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.#users.get(user);
    if (hash === undefined) {
      await verifyPassword(password, this.#decoy);
      return false;
    }
    return await verifyPassword(password, hash);
  }
}

/**
 * What `crypt(password, stored)` would return for the scheme `stored` names, or null when the
 * scheme is unknown or `stored` cannot be the output of that scheme.
 */
function cryptLike(password: Uint8Array, text: string, stored: string): Promise<string | null> {
  if (stored.startsWith("{PLAIN}")) return Promise.resolve(`{PLAIN}${text}`);
  if (stored.startsWith("{SHA}")) {
    return Promise.resolve(`{SHA}${base64(digest("sha1", password))}`);
  }
  if (stored.startsWith("{SSHA}")) return Promise.resolve(saltedSha(password, stored));
  if (stored.startsWith("$apr1$")) return md5Crypt(password, stored, "$apr1$");
  if (stored.startsWith("$1$")) return md5Crypt(password, stored, "$1$");
  if (stored.startsWith("$5$")) return shaCrypt(password, stored, "$5$", "sha256");
  if (stored.startsWith("$6$")) return shaCrypt(password, stored, "$6$", "sha512");
  if (stored.startsWith("$2")) return bcryptCrypt(text, stored);
  return Promise.resolve(null);
}

/** `{SSHA}`: the salt is whatever follows the 20-byte SHA-1 digest in the decoded base64. */
function saltedSha(password: Uint8Array, stored: string): string | null {
  const decoded = unbase64(stored.slice("{SSHA}".length));
  if (decoded === null || decoded.length < 20) return null;
  const salt = decoded.subarray(20);
  return `{SSHA}${base64(concat(digest("sha1", password, salt), salt))}`;
}

/**
 * MD5-crypt (Poul-Henning Kamp's `$1$`), which Apache's `$apr1$` repeats with another magic
 * string: up to 8 bytes of salt, ended by `$`, then 1000 rounds of MD5.
 */
async function md5Crypt(
  password: Uint8Array,
  stored: string,
  magic: string,
): Promise<string | null> {
  const salt = encoder.encode(stored.slice(magic.length).split("$", 1)[0]!).subarray(0, 8);
  const setting = `${magic}${decoder.decode(salt)}$`;
  if (!stored.startsWith(setting) || stored.length !== setting.length + 22) return null;

  const alternate = digest("md5", password, salt, password);
  const initial = createHash("md5").update(password).update(magic).update(salt);
  for (let left = password.length; left > 0; left -= 16) {
    initial.update(alternate.subarray(0, Math.min(left, 16)));
  }
  for (let bits = password.length; bits > 0; bits >>= 1) {
    initial.update(bits & 1 ? ZERO_BYTE : password.subarray(0, 1));
  }
  const sum = await stretch("md5", initial.digest(), password, salt, 1000);
  return setting + permute(sum, MD5_ORDER);
}

const ZERO_BYTE = new Uint8Array(1);

/** How MD5-crypt spreads its 16 bytes over 22 characters, three bytes to four characters. */
const MD5_ORDER = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5], [11]];

/**
 * SHA-256/SHA-512 crypt (Ulrich Drepper's specification, as glibc writes it): an optional
 * `rounds=N$` clamped to 1000–999999999, up to 16 bytes of salt ended by `$`, then the rounds.
 */
async function shaCrypt(
  password: Uint8Array,
  stored: string,
  magic: "$5$" | "$6$",
  algorithm: "sha256" | "sha512",
): Promise<string | null> {
  let rest = stored.slice(magic.length);
  let rounds = SHA_ROUNDS_DEFAULT;
  let roundsText = "";
  const custom = /^rounds=([0-9]+)\$/.exec(rest);
  if (custom) {
    rounds = Math.max(SHA_ROUNDS_MIN, Math.min(SHA_ROUNDS_MAX, Number(custom[1])));
    roundsText = `rounds=${rounds}$`;
    rest = rest.slice(custom[0].length);
  }
  const salt = encoder.encode(rest.split("$", 1)[0]!).subarray(0, 16);
  const setting = `${magic}${roundsText}${decoder.decode(salt)}$`;
  const order = algorithm === "sha256" ? SHA256_ORDER : SHA512_ORDER;
  const length = algorithm === "sha256" ? 43 : 86;
  if (!stored.startsWith(setting) || stored.length !== setting.length + length) return null;

  const size = algorithm === "sha256" ? 32 : 64;
  const alternate = digest(algorithm, password, salt, password);
  const initial = createHash(algorithm).update(password).update(salt);
  for (let left = password.length; left > 0; left -= size) {
    initial.update(alternate.subarray(0, Math.min(left, size)));
  }
  for (let bits = password.length; bits > 0; bits >>= 1) {
    initial.update(bits & 1 ? alternate : password);
  }
  const sum = initial.digest();
  const passwordHash = createHash(algorithm);
  for (let i = 0; i < password.length; i++) passwordHash.update(password);
  const passwordSeq = repeatTo(passwordHash.digest(), password.length);
  const saltHash = createHash(algorithm);
  for (let i = 0; i < 16 + sum[0]!; i++) saltHash.update(salt);
  const saltSeq = repeatTo(saltHash.digest(), salt.length);

  const current = await stretch(algorithm, sum, passwordSeq, saltSeq, rounds);
  return setting + permute(current, order);
}

/**
 * The rounds MD5-crypt and SHA-crypt share: each hashes the previous sum with the password and
 * salt in an order set by the round number (odd, multiple of 3, multiple of 7). Yields to the
 * event loop between slices of rounds, since a file may ask for many.
 */
async function stretch(
  algorithm: string,
  start: Uint8Array,
  password: Uint8Array,
  salt: Uint8Array,
  rounds: number,
): Promise<Uint8Array> {
  let sum = start;
  for (let round = 0; round < rounds; round++) {
    const step = createHash(algorithm).update(round & 1 ? password : sum);
    if (round % 3) step.update(salt);
    if (round % 7) step.update(password);
    sum = step.update(round & 1 ? sum : password).digest();
    if ((round + 1) % ROUNDS_PER_SLICE === 0 && round + 1 < rounds) {
      await new Promise((done) => setImmediate(done));
    }
  }
  return sum;
}

/** How SHA-256 crypt spreads its 32 bytes over 43 characters. */
const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
  [31, 30],
];

/** How SHA-512 crypt spreads its 64 bytes over 86 characters. */
const SHA512_ORDER = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
  [63],
];

/**
 * bcrypt through bcryptjs, which keeps the stored version letter (`$2y$` stays `$2y$`; the three
 * are one algorithm for passwords under 256 bytes) and uses the first 72 bytes of the password.
 */
async function bcryptCrypt(password: string, stored: string): Promise<string | null> {
  // bcryptjs also takes `$2$` and throws on other shapes: only canonical hashes reach it.
  if (!BCRYPT_HASH.test(stored)) return null;
  return await bcrypt.hash(password, stored.slice(0, 29));
}

/** Whether two strings are equal, in a time that depends on the stored string's length only. */
function constantTimeEqual(computed: string, stored: string): boolean {
  let difference = computed.length ^ stored.length;
  for (let i = 0; i < stored.length; i++) {
    // Past the end of `computed`, charCodeAt gives NaN, which `| 0` turns into 0.
    difference |= (computed.charCodeAt(i) | 0) ^ stored.charCodeAt(i);
  }
  return difference === 0;
}

/** The digest of `parts` one after the other. */
function digest(algorithm: string, ...parts: Uint8Array[]): Uint8Array {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `bytes` repeated, the last copy cut, to exactly `length` bytes. */
function repeatTo(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += bytes.length) out.set(bytes.subarray(0, length - i), i);
  return out;
}

/**
 * crypt(3)'s base64 of `bytes` taken in `order`: each group of three (or fewer, at the end) is
 * read big-endian and written as 4 (or 3, or 2) characters, least significant 6 bits first.
 */
function permute(bytes: Uint8Array, order: number[][]): string {
  let out = "";
  for (const group of order) {
    let word = 0;
    for (const index of group) word = word * 256 + bytes[index]!;
    for (let n = 0; n <= group.length; n++) {
      out += CRYPT64[word & 0x3f];
      word >>>= 6;
    }
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Standard base64 with padding. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard base64 decoded, or null when it is not base64. */
function unbase64(text: string): Uint8Array | null {
  let binary: string;
  try {
    binary = atob(text);
  } catch (error) {
    if (error instanceof DOMException) return null;
    throw error;
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
