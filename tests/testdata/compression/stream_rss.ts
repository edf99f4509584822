/**
 * Streams a generated body through compressStream() and prints one JSON line: the bytes in and
 * out, the peak growth of the resident set over the run, and (gzip) whether the trailer's CRC-32
 * and length match the input. Run in its own process so that no other test's memory counts.
 *
 *   deno run --allow-read stream_rss.ts <gzip|br> <level> <MiB> <random|text> [keep]
 *
 * The source yields one reused 64 KiB buffer, rewritten for every piece ("random": fresh random
 * bytes, which do not compress, so the output is as large as the input; "text": CSS-like text
 * with the piece number written into it). "keep" makes the consumer hold every output chunk,
 * to show that the measurement sees memory that is kept.
 */
import zlib from "node:zlib";
import { compressStream } from "../../../lib/compression/compress.ts";

const [encoding, level, mib, kind, keep] = Deno.args;
if ((encoding !== "gzip" && encoding !== "br") || (kind !== "random" && kind !== "text")) {
  throw new Error("Usage: stream_rss.ts <gzip|br> <level> <MiB> <random|text> [keep]");
}
const PIECE = 64 * 1024;
const total = Number(mib) * 1024 * 1024;
const buffer = new Uint8Array(PIECE);
const text = new TextEncoder().encode(
  ".nav-item:hover { color: #336699; margin: 0 auto; padding: 4px 8px; }\n".repeat(1000),
).subarray(0, PIECE);

let peak = 0;
function sample(): void {
  peak = Math.max(peak, Deno.memoryUsage().rss);
}

let inputCrc = 0;
async function* source(): AsyncGenerator<Uint8Array> {
  for (let piece = 0; piece * PIECE < total; piece++) {
    if (kind === "random") {
      crypto.getRandomValues(buffer);
    } else {
      buffer.set(text);
      buffer.set(new TextEncoder().encode(`/* ${piece} */`), (piece * 97) % (PIECE - 16));
    }
    inputCrc = zlib.crc32(buffer, inputCrc);
    if (piece % 16 === 0) sample();
    yield buffer;
  }
}

const kept: Uint8Array[] = [];
const tail = new Uint8Array(8);
let outputBytes = 0;
let chunks = 0;
const baseline = Deno.memoryUsage().rss;
peak = baseline;
const started = performance.now();
for await (const chunk of compressStream(source(), encoding, Number(level))) {
  if (keep === "keep") kept.push(chunk);
  // The last 8 bytes of the output, across chunk boundaries.
  if (chunk.length >= 8) tail.set(chunk.subarray(chunk.length - 8));
  else {
    tail.copyWithin(0, chunk.length);
    tail.set(chunk, 8 - chunk.length);
  }
  outputBytes += chunk.length;
  if (++chunks % 16 === 0) sample();
}
sample();
const view = new DataView(tail.buffer);
const trailerOk = encoding === "gzip"
  ? view.getUint32(0, true) === inputCrc && view.getUint32(4, true) === total % 2 ** 32
  : null;
console.log(JSON.stringify({
  encoding,
  level: Number(level),
  kind,
  inputBytes: total,
  outputBytes,
  chunks,
  kept: kept.length,
  peakGrowthMiB: Math.round((peak - baseline) / 1024 / 1024 * 10) / 10,
  trailerOk,
  ms: Math.round(performance.now() - started),
}));
