/**
 * `gzip_static` and `brotli_static` (nginx's gzip_static module): a file's compressed twin beside
 * it (`file.css.br`, `file.css.gz`) is served instead of the file, with its own length and
 * validators and the file's type; `on` serves it to a client that takes the coding, `always` to
 * every client. Like nginx, the twin's modification time is not compared with the file's, and a
 * twin is served even when the file itself is missing.
 */
import { compressionAllowed, preferredCoding } from "../compression/client.ts";
import type { OfferedCoding } from "../compression/negotiate.ts";
import type { CachedFile, FileCache } from "../files/file_cache.ts";
import type { RequestContext } from "../phases/context.ts";

const SUFFIX: Record<OfferedCoding, string> = { br: ".br", gzip: ".gz" };

/** A twin to serve, and whether the answer (twin or file) says `Vary: Accept-Encoding`. */
export interface Precompressed {
  twin: { path: string; entry: CachedFile; encoding: OfferedCoding } | null;
  /** nginx: with `on` and gzip_vary, a twin on disk makes the answer vary, served or not. */
  vary: boolean;
}

const NONE: Precompressed = { twin: null, vary: false };

/** What to serve for the file at `path`. */
export async function precompressed(
  ctx: RequestContext,
  path: string,
  cache: FileCache,
): Promise<Precompressed> {
  const { gzipStatic, brotliStatic, gzipVary } = ctx.location;
  if (gzipStatic === "off" && brotliStatic === "off") return NONE;
  const modes: [OfferedCoding, "off" | "on" | "always"][] = [
    ["br", brotliStatic],
    ["gzip", gzipStatic],
  ];
  const allowed = compressionAllowed(ctx.head, ctx.location, null);
  // Each coding in turn: those the client takes, best first, then those served to everyone.
  const offered = modes.filter(([, mode]) => mode === "on").map(([coding]) => coding);
  const order: OfferedCoding[] = [];
  for (let left = allowed ? offered : []; left.length > 0;) {
    const best = preferredCoding(ctx.head, left);
    if (best === null) break;
    order.push(best);
    left = left.filter((c) => c !== best);
  }
  for (const [coding, mode] of modes) {
    if (mode === "always" && !order.includes(coding)) order.push(coding);
  }
  // The twins on disk (from the file cache, like any file).
  let vary = false;
  const found = new Map<OfferedCoding, CachedFile>();
  for (const [coding, mode] of modes) {
    if (mode === "off") continue;
    const entry = cache.peek(path + SUFFIX[coding]) ?? await cache.get(path + SUFFIX[coding]);
    if (entry.kind !== "file") continue;
    found.set(coding, entry);
    if (mode === "on" && gzipVary) vary = true;
  }
  for (const encoding of order) {
    const entry = found.get(encoding);
    if (entry !== undefined) {
      return { twin: { path: path + SUFFIX[encoding], entry, encoding }, vary };
    }
  }
  return { twin: null, vary };
}
