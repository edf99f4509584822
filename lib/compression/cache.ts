/**
 * Compressed bodies in memory, per body and coding, so that the same bytes are compressed once:
 * keyed by the body itself, so a small file's variants live as long as the file cache keeps its
 * bytes and go with them when the file changes. Concurrent requests share one compression.
 */
import { type Coding, compressBytes } from "./compress.ts";

export class CompressedCache {
  readonly #variants = new WeakMap<Uint8Array, Map<string, Promise<Uint8Array>>>();

  get(bytes: Uint8Array, encoding: Coding, level: number): Promise<Uint8Array> {
    let variants = this.#variants.get(bytes);
    if (variants === undefined) this.#variants.set(bytes, variants = new Map());
    const key = `${encoding}${level}`;
    let variant = variants.get(key);
    if (variant === undefined) {
      variant = compressBytes(bytes, encoding, level);
      variants.set(key, variant);
      // A failure is not kept: the next request tries again.
      variant.catch(() => variants.delete(key));
    }
    return variant;
  }
}
