import assert from "node:assert/strict";
import { join } from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import {
  type Coding,
  compressBytes,
  compressStream,
  type CompressStreamOptions,
} from "../../../lib/compression/compress.ts";

const gunzip = promisify(zlib.gunzip);
const brotliDecompress = promisify(zlib.brotliDecompress);

async function decompress(encoding: Coding, bytes: Uint8Array): Promise<Uint8Array> {
  const out = encoding === "gzip" ? await gunzip(bytes) : await brotliDecompress(bytes);
  return new Uint8Array(out);
}

/** What a decoder makes of an unfinished stream: everything the encoder has flushed so far. */
function decodePrefix(encoding: Coding, bytes: Uint8Array): Promise<string> {
  const decoder = encoding === "gzip" ? zlib.createGunzip() : zlib.createBrotliDecompress();
  const parts: Uint8Array[] = [];
  decoder.on("data", (part: Uint8Array) => parts.push(part));
  return new Promise((resolve, reject) => {
    decoder.once("error", reject);
    decoder.write(bytes);
    const kind = encoding === "gzip"
      ? zlib.constants.Z_SYNC_FLUSH
      : zlib.constants.BROTLI_OPERATION_FLUSH;
    decoder.flush(kind, () => {
      decoder.destroy();
      resolve(new TextDecoder().decode(concat(parts)));
    });
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** All the chunks, kept as yielded: they are the consumer's (no copy needed). */
async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return concat(parts);
}

/** `bytes` in pieces of `size`, each handed out as a fresh copy. */
async function* piecesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) {
    yield bytes.slice(start, start + size);
  }
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let start = 0; start < length; start += 65536) {
    crypto.getRandomValues(bytes.subarray(start, start + 65536));
  }
  return bytes;
}

/** Text like a stylesheet: repetitive names and properties, varied values. */
function cssText(length: number): Uint8Array {
  let seed = 7;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const props = ["color", "margin", "padding", "display", "border", "width", "font-size"];
  let text = "";
  while (text.length < length) {
    text += `.item-${next(500)}:hover {\n`;
    for (let i = 0, n = 2 + next(4); i < n; i++) {
      text += `  ${props[next(props.length)]}: #${next(0x1000000).toString(16)} ${next(64)}px;\n`;
    }
    text += "}\n";
  }
  return new TextEncoder().encode(text.slice(0, length));
}

type Compressor = zlib.Gzip | zlib.BrotliCompress;

/** Records the compressors node:zlib makes destroy(), for tests that stop early. */
function watchDestroy(): { destroyed: Compressor[]; restore(): void } {
  const destroyed: Compressor[] = [];
  // The classes are not in node:zlib's types: reach them through an instance each.
  const protos = [zlib.createGzip(), zlib.createBrotliCompress()].map((sample) => {
    sample.destroy();
    return Object.getPrototypeOf(sample) as { destroy(...args: unknown[]): unknown };
  });
  for (const proto of protos) {
    const inherited = proto.destroy;
    proto.destroy = function (this: Compressor, ...args: unknown[]) {
      destroyed.push(this);
      return inherited.apply(this, args);
    };
  }
  return {
    destroyed,
    restore() {
      for (const proto of protos) delete (proto as { destroy?: unknown }).destroy;
    },
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const INPUTS: [string, Uint8Array][] = [
  ["empty input", new Uint8Array(0)],
  ["1 byte", new Uint8Array([65])],
  ["10 KiB of text", cssText(10 * 1024)],
  ["1 MiB of random bytes", randomBytes(1024 * 1024)],
];

/** The ends of each range: gzip levels 1–9, brotli qualities 0–11. */
const LEVELS: [Coding, number][] = [["gzip", 1], ["gzip", 9], ["br", 0], ["br", 11]];

for (const [name, input] of INPUTS) {
  for (const [encoding, level] of LEVELS) {
    Deno.test(`compressBytes() round-trips ${name} with ${encoding} ${level}`, async () => {
      const compressed = await compressBytes(input, encoding, level);
      assert.equal(Object.getPrototypeOf(compressed), Uint8Array.prototype, "a plain Uint8Array");
      assert.deepEqual(await decompress(encoding, compressed), input);
    });
    Deno.test(`compressStream() round-trips ${name} with ${encoding} ${level}`, async () => {
      const compressed = await collect(compressStream(piecesOf(input, 100_000), encoding, level));
      assert.deepEqual(await decompress(encoding, compressed), input);
    });
  }
}

Deno.test("compressBytes() compresses text", async () => {
  const text = cssText(10 * 1024);
  for (const [encoding, level] of [["gzip", 6], ["br", 6]] as const) {
    const compressed = await compressBytes(text, encoding, level);
    assert.ok(compressed.length < text.length / 2, `${encoding}: ${compressed.length} bytes`);
  }
});

Deno.test("compressBytes() rejects a level out of range", async () => {
  const bytes = new Uint8Array(10);
  const cases: [Coding, number, string][] = [
    ["gzip", 0, 'Invalid gzip level "0": expected 1 to 9'],
    ["gzip", 10, 'Invalid gzip level "10": expected 1 to 9'],
    ["gzip", 1.5, 'Invalid gzip level "1.5": expected 1 to 9'],
    ["br", -1, 'Invalid brotli quality "-1": expected 0 to 11'],
    ["br", 12, 'Invalid brotli quality "12": expected 0 to 11'],
    ["br", NaN, 'Invalid brotli quality "NaN": expected 0 to 11'],
  ];
  for (const [encoding, level, message] of cases) {
    await assert.rejects(compressBytes(bytes, encoding, level), { name: "RangeError", message });
    await assert.rejects(collect(compressStream([bytes], encoding, level)), { message });
  }
});

Deno.test("compressStream() round-trips many small pieces", async () => {
  const text = cssText(50_000);
  for (const encoding of ["gzip", "br"] as const) {
    const tiny = async function* (): AsyncGenerator<Uint8Array> {
      // Pieces of 0 (empty) to 7 bytes.
      for (let start = 0, i = 0; start < text.length; i++) {
        const size = i % 8;
        yield text.slice(start, start + size);
        start += size;
      }
    };
    const compressed = await collect(compressStream(tiny(), encoding, 6));
    assert.deepEqual(await decompress(encoding, compressed), text, encoding);
  }
});

Deno.test("compressStream() accepts a synchronous iterable", async () => {
  const text = cssText(1000);
  const compressed = await collect(
    compressStream([text.subarray(0, 10), text.subarray(10)], "br", 5),
  );
  assert.deepEqual(await decompress("br", compressed), text);
});

Deno.test("compressStream() round-trips whatever the size hint says", async () => {
  const text = cssText(300_000);
  for (const sizeHint of [0, 1, 1000, text.length, 2 ** 33]) {
    for (const encoding of ["gzip", "br"] as const) {
      const stream = compressStream(piecesOf(text, 50_000), encoding, 5, { sizeHint });
      const compressed = await collect(stream);
      assert.deepEqual(await decompress(encoding, compressed), text, `${encoding} ${sizeHint}`);
    }
  }
});

Deno.test("compressStream() lets the source reuse its buffer after the next pull", async () => {
  // One buffer, bigger than a compressor step, rewritten for every piece.
  const buffer = new Uint8Array(150_000);
  const expected: Uint8Array[] = [];
  async function* reusing(): AsyncGenerator<Uint8Array> {
    for (let piece = 0; piece < 20; piece++) {
      buffer.fill(piece);
      buffer.set(cssText(1000 + piece * 37), piece * 5000);
      expected.push(buffer.slice());
      yield buffer;
    }
  }
  for (const encoding of ["gzip", "br"] as const) {
    expected.length = 0;
    const compressed = await collect(compressStream(reusing(), encoding, 1));
    assert.deepEqual(await decompress(encoding, compressed), concat(expected), encoding);
  }
});

Deno.test("compressStream() yields output before the source is exhausted", async () => {
  const input = randomBytes(1024 * 1024);
  let pulled = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const piece of piecesOf(input, 64 * 1024)) {
      pulled++;
      yield piece;
    }
  }
  const parts: Uint8Array[] = [];
  let pulledAtFirstOutput = -1;
  for await (const chunk of compressStream(counted(), "gzip", 1)) {
    if (pulledAtFirstOutput < 0) pulledAtFirstOutput = pulled;
    parts.push(chunk.slice());
  }
  assert.equal(pulled, 16);
  assert.ok(pulledAtFirstOutput <= 2, `first output after ${pulledAtFirstOutput} pieces`);
  assert.deepEqual(await decompress("gzip", concat(parts)), input);
});

Deno.test("compressStream() pulls nothing while the consumer does not ask", async () => {
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield randomBytes(64 * 1024);
    }
  }
  const stream = compressStream(endless(), "gzip", 1);
  await stream.next();
  const before = pulled;
  await delay(30);
  assert.equal(pulled, before);
  await stream.return();
});

for (const encoding of ["gzip", "br"] as const) {
  Deno.test(`compressStream() flushes ${encoding} when the source pauses`, async () => {
    for (const flushAfterMs of [20, undefined, null]) {
      let paused = true;
      const slow = async function* (): AsyncGenerator<Uint8Array> {
        yield new TextEncoder().encode("part one, ");
        await delay(150);
        paused = false;
        yield new TextEncoder().encode("part two");
      };
      const early: Uint8Array[] = [];
      const all: Uint8Array[] = [];
      const options: CompressStreamOptions = { flushAfterMs };
      for await (const chunk of compressStream(slow(), encoding, 6, options)) {
        if (paused) early.push(chunk.slice());
        all.push(chunk.slice());
      }
      const seen = await decodePrefix(encoding, concat(early));
      assert.equal(seen, flushAfterMs === null ? "" : "part one, ", `flushAfterMs ${flushAfterMs}`);
      const whole = await decompress(encoding, concat(all));
      assert.equal(new TextDecoder().decode(whole), "part one, part two");
    }
  });
}

Deno.test("compressStream() does not flush a source that keeps producing", async () => {
  const input = cssText(500_000);
  for (const encoding of ["gzip", "br"] as const) {
    const flushing = await collect(compressStream(piecesOf(input, 8192), encoding, 6));
    const options = { flushAfterMs: null };
    const never = await collect(compressStream(piecesOf(input, 8192), encoding, 6, options));
    assert.deepEqual(flushing, never, encoding);
  }
});

Deno.test("compressStream() stopped early destroys the compressor and returns the source", async () => {
  const watch = watchDestroy();
  try {
    for (const stop of ["return", "throw"] as const) {
      for (const encoding of ["gzip", "br"] as const) {
        let returned = false;
        const endless = async function* (): AsyncGenerator<Uint8Array> {
          try {
            for (;;) yield randomBytes(64 * 1024);
          } finally {
            returned = true;
          }
        };
        watch.destroyed.length = 0;
        const stream = compressStream(endless(), encoding, 1);
        for (let i = 0; i < 3; i++) assert.equal((await stream.next()).done, false);
        if (stop === "return") {
          assert.deepEqual(await stream.return(), { done: true, value: undefined });
        } else {
          await assert.rejects(stream.throw(new Error("consumer gone")), /consumer gone/);
        }
        const what = `${stop}() with ${encoding}`;
        assert.equal(returned, true, `${what}: the source's finally ran`);
        assert.equal(watch.destroyed.length, 1, `${what}: one compressor destroyed`);
        assert.equal(watch.destroyed[0]!.destroyed, true);
        assert.equal(watch.destroyed[0]!.writableEnded, false, `${what}: not finished`);
      }
    }
  } finally {
    watch.restore();
  }
});

Deno.test("compressStream() stopped while the source hangs does not wait for it", async () => {
  let release = () => {};
  const hanging = new Promise<void>((resolve) => release = resolve);
  let returned = false;
  async function* stuck(): AsyncGenerator<Uint8Array> {
    try {
      yield new TextEncoder().encode("hello");
      await hanging;
      yield new TextEncoder().encode("never read");
    } finally {
      returned = true;
    }
  }
  const stream = compressStream(stuck(), "gzip", 6, { flushAfterMs: 10 });
  // The header, then what the flush brings while the source hangs.
  const parts: Uint8Array[] = [];
  while ((await decodePrefix("gzip", concat(parts))) !== "hello") {
    const next = await stream.next();
    assert.equal(next.done, false);
    parts.push(next.value!.slice());
  }
  const started = performance.now();
  await stream.return();
  assert.ok(performance.now() - started < 1000, "return() did not wait for the source");
  assert.equal(returned, false, "the source is still stuck");
  release();
  await delay(10);
  assert.equal(returned, true, "the source was returned once it could be");
});

Deno.test("compressStream() passes on the source's error and cleans up", async () => {
  const watch = watchDestroy();
  try {
    for (const encoding of ["gzip", "br"] as const) {
      watch.destroyed.length = 0;
      const failing = async function* (): AsyncGenerator<Uint8Array> {
        yield randomBytes(100_000);
        throw new Error("source failed");
      };
      await assert.rejects(collect(compressStream(failing(), encoding, 1)), /source failed/);
      assert.equal(watch.destroyed.length, 1, encoding);
      assert.equal(watch.destroyed[0]!.destroyed, true);
    }
  } finally {
    watch.restore();
  }
});

Deno.test("compressBytes() lets timers run while it compresses a large body", async () => {
  const text = cssText(2 * 1024 * 1024);
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  const started = performance.now();
  const compressed = await compressBytes(text, "br", 6);
  const took = performance.now() - started;
  running = false;
  await delay(5);
  assert.deepEqual(await decompress("br", compressed), text);
  assert.ok(ticks >= 3, `${ticks} timer ticks in ${took.toFixed(0)} ms`);
});

/** Runs tests/testdata/compression/stream_rss.ts in its own process and returns its report. */
async function streamInChild(args: string[]): Promise<Record<string, unknown>> {
  const script = join(import.meta.dirname!, "..", "..", "testdata", "compression", "stream_rss.ts");
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("compressStream() streams 200 MiB in bounded memory", async () => {
  const MiB = 1024 * 1024;
  // Random bytes do not compress: keeping the output would cost 200 MiB.
  const random = await streamInChild(["br", "1", "200", "random"]);
  assert.equal(random.inputBytes, 200 * MiB);
  assert.ok(Number(random.outputBytes) >= 200 * MiB, JSON.stringify(random));
  assert.ok(Number(random.peakGrowthMiB) < 64, JSON.stringify(random));
  // Text at gzip's default level, checked against the gzip trailer's CRC-32 and length.
  const text = await streamInChild(["gzip", "6", "200", "text"]);
  assert.equal(text.trailerOk, true, JSON.stringify(text));
  assert.ok(Number(text.peakGrowthMiB) < 64, JSON.stringify(text));
  // The measurement does see memory that is kept.
  const kept = await streamInChild(["br", "1", "64", "random", "keep"]);
  assert.ok(Number(kept.peakGrowthMiB) > 48, JSON.stringify(kept));
});
