/**
 * `gzip_static` and `brotli_static`: a file's compressed twin beside it (`file.css.br`,
 * `file.css.gz`) is served instead of the file, with its own length and validators and the
 * file's type. `on` serves it to a client that takes the coding; `always` to every client.
 * Like nginx, the twin's modification time is not compared with the file's.
 */
import { compressionAllowed, preferredCoding } from "../compression/client.ts";
import type { OfferedCoding } from "../compression/negotiate.ts";
import type { CachedFile, FileCache } from "../files/file_cache.ts";
import type { RequestContext } from "../phases/context.ts";

const SUFFIX: Record<OfferedCoding, string> = { br: ".br", gzip: ".gz" };

/** The twin to serve for the file at `path`, or null: serve the file itself. */
export async function precompressed(
  ctx: RequestContext,
  path: string,
  cache: FileCache,
): Promise<{ path: string; entry: CachedFile; encoding: OfferedCoding } | null> {
  const { gzipStatic, brotliStatic } = ctx.location;
  if (gzipStatic === "off" && brotliStatic === "off") return null;
  const modes: [OfferedCoding, "off" | "on" | "always"][] = [["br", brotliStatic], [
    "gzip",
    gzipStatic,
  ]];
  const offered = modes.filter(([, mode]) => mode !== "off").map(([coding]) => coding);
  // The codings the client takes, best first, then those served to everyone.
  const order: OfferedCoding[] = [];
  if (compressionAllowed(ctx.head, ctx.location, null)) {
    for (let left = offered; left.length > 0;) {
      const best = preferredCoding(ctx.head, left);
      if (best === null) break;
      order.push(best);
      left = left.filter((c) => c !== best);
    }
  }
  for (const [coding, mode] of modes) {
    if (mode === "always" && !order.includes(coding)) order.push(coding);
  }
  for (const encoding of order) {
    const twin = path + SUFFIX[encoding];
    const entry = cache.peek(twin) ?? await cache.get(twin);
    if (entry.kind === "file") return { path: twin, entry, encoding };
  }
  return null;
}
