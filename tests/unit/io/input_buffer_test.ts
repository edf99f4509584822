import assert from "node:assert/strict";
import { InputBuffer } from "../../../lib/io/input_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A buffer fed from `chunks`, one per read (each cut to the room there is), then the end. */
function fed(chunks: string[], initial = 8, max = 64): InputBuffer {
  const queue = chunks.map((c) => enc.encode(c));
  return new InputBuffer(
    (into) => {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(next.length, into.length);
      into.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
    initial,
    max,
  );
}

function pending(input: InputBuffer): string {
  return dec.decode(input.buf.subarray(input.start, input.end));
}

Deno.test("InputBuffer appends reads and consumes from the front", async () => {
  const input = fed(["abc", "de"]);
  assert.equal(await input.fill(), 3);
  assert.equal(await input.fill(), 2);
  assert.equal(pending(input), "abcde");
  input.consume(2);
  assert.equal(pending(input), "cde");
  assert.equal(input.pending, 3);
  assert.equal(await input.fill(), null);
  assert.throws(() => input.consume(4), RangeError);
});

Deno.test("InputBuffer.compact() starts over, moves pending bytes down, or grows to its limit", async () => {
  const input = fed([
    "12345678",
    "9abcdefg",
    "hijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!!!!!!!!!",
  ]);
  await input.fill();
  assert.equal(input.room, 0);
  input.consume(8);
  input.compact();
  assert.deepEqual([input.start, input.end], [0, 0]);
  await input.fill();
  input.consume(3);
  input.compact();
  assert.deepEqual([input.start, input.end, pending(input)], [0, 5, "cdefg"]);
  // Full with nothing consumed: the buffer doubles, up to 64 bytes, keeping what is pending.
  await input.fill();
  assert.equal(input.room, 0);
  input.compact();
  assert.equal(input.buf.length, 16);
  assert.equal(pending(input), "cdefghij");
  for (let i = 0; i < 3; i++) {
    await input.fill();
    input.compact();
  }
  assert.equal(input.buf.length, 64);
  await input.fill();
  input.compact();
  assert.equal(input.buf.length, 64, "never past its largest size");
});

Deno.test("InputBuffer shares one read among those who wait and never compacts under it", async () => {
  let release: (n: number) => void = () => {};
  let reads = 0;
  const input = new InputBuffer(
    (into) => {
      reads++;
      into[0] = 0x41;
      return new Promise((resolve) => release = resolve);
    },
    4,
    4,
  );
  const a = input.fill();
  const b = input.fill();
  assert.ok(input.reading);
  input.compact();
  release(1);
  assert.deepEqual([await a, await b], [1, 1]);
  assert.equal(reads, 1);
  assert.equal(input.end, 1);
  assert.equal(input.reading, false);
  await input.settled();
});

Deno.test("InputBuffer.ensureSize() swaps in a larger buffer only while nothing is pending", async () => {
  const input = fed(["ab"], 4, 64);
  await input.fill();
  input.ensureSize(32);
  assert.equal(input.buf.length, 4, "bytes are pending");
  input.consume(2);
  input.ensureSize(32);
  assert.equal(input.buf.length, 32);
  input.ensureSize(128);
  assert.equal(input.buf.length, 64, "capped at the largest size");
});
