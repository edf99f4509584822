import assert from "node:assert/strict";
import {
  Adler32,
  BodyGenerator,
  type DownloadOutcome,
  downloadProblems,
  formatSamples,
  paceDelay,
  parseSentLine,
  pickSamples,
  type Sample,
} from "./_proxy_download.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("Adler32 gives RFC 1950's checksum, the same fed whole or in pieces", () => {
  assert.equal(new Adler32().update(bytes("Wikipedia")).hex, "11e60398");
  assert.equal(new Adler32().value, 1);
  const data = new BodyGenerator().fill(new Uint8Array(100_000));
  const whole = new Adler32().update(data).hex;
  const pieces = new Adler32();
  for (let at = 0; at < data.length; at += 7777) pieces.update(data.subarray(at, at + 7777));
  assert.equal(pieces.hex, whole);
  // All 0xff (the largest sums) agrees with the definition computed naively.
  const ff = new Uint8Array(20_000).fill(255);
  let a = 1, b = 0;
  for (const x of ff) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  assert.equal(new Adler32().update(ff).value, ((b << 16) | a) >>> 0);
});

Deno.test("BodyGenerator continues its stream across blocks: no two blocks are alike", () => {
  const g = new BodyGenerator();
  const one = g.fill(new Uint8Array(1024)).slice();
  const two = g.fill(new Uint8Array(1024)).slice();
  assert.notDeepEqual(one, two);
  // The same seed gives the same stream, in whatever block size.
  const whole = new BodyGenerator().fill(new Uint8Array(2048));
  assert.deepEqual(whole.subarray(0, 1024), one);
  assert.deepEqual(whole.subarray(1024), two);
});

Deno.test("paceDelay() waits until the bytes are due at the rate", () => {
  assert.equal(paceDelay(1000, 0, 0, 1000), 1000);
  assert.equal(paceDelay(1000, 0, 400, 1000), 600);
  assert.equal(paceDelay(1000, 0, 5000, 1000), 0);
});

const sample = (sec: number, rssMiB: number): Sample => ({
  sec,
  rssMiB,
  receivedBytes: sec * 2 ** 20,
});

Deno.test("pickSamples() keeps the first, the last and the top, spread evenly", () => {
  const samples = Array.from({ length: 60 }, (_, i) => sample(i + 1, i === 33 ? 99 : 50));
  const picked = pickSamples(samples, 8);
  assert.ok(picked.length <= 8, `${picked.length}`);
  assert.equal(picked[0]!.sec, 1);
  assert.equal(picked[picked.length - 1]!.sec, 60);
  assert.ok(picked.some((s) => s.rssMiB === 99));
  assert.deepEqual(picked.map((s) => s.sec), [...picked.map((s) => s.sec)].sort((x, y) => x - y));
  assert.equal(pickSamples(samples.slice(0, 5), 8).length, 5);
});

Deno.test("formatSamples() shows RSS and growth over the baseline", () => {
  assert.equal(
    formatSamples([sample(1, 70.25), sample(2, 60)], 65),
    [
      "| s | RSS MiB | growth MiB | received MiB |",
      "|---:|---:|---:|---:|",
      "| 1 | 70.3 | +5.3 | 1 |",
      "| 2 | 60.0 | -5.0 | 2 |",
    ].join("\n"),
  );
});

Deno.test("parseSentLine() reads the upstream's report of one answer", () => {
  const text = "listening on http://127.0.0.1:1/\nsent 8 bytes adler32 000e0009\n" +
    "sent 99 bytes adler32 0aBc\naborted after 1024 bytes adler32 deadbeef\n";
  assert.deepEqual(parseSentLine(text, 0), { bytes: 8, adler: "000e0009", complete: true });
  assert.deepEqual(parseSentLine(text, 1), { bytes: 1024, adler: "deadbeef", complete: false });
  assert.equal(parseSentLine(text, 2), null);
});

Deno.test("downloadProblems() passes a whole download and names each failure", () => {
  const good: DownloadOutcome = {
    expectedBytes: 100,
    contentLength: 100,
    status: 200,
    receivedBytes: 100,
    receivedAdler: "0000abcd",
    sent: { bytes: 100, adler: "0000abcd", complete: true },
    baseMiB: 60,
    samples: [sample(1, 70), sample(2, 123.9)],
    error: null,
  };
  assert.deepEqual(downloadProblems(good), []);
  const cases: [Partial<DownloadOutcome>, RegExp][] = [
    [{ receivedBytes: 99 }, /received 99 bytes of 100/],
    [
      { receivedAdler: "00000001" },
      /checksum: upstream sent adler32 0000abcd, client got 00000001/,
    ],
    [{ sent: null }, /did not report/],
    [{ sent: { bytes: 100, adler: "0000abcd", complete: false } }, /broke off after 100 bytes/],
    [{ status: 502 }, /status 502/],
    [{ contentLength: 5 }, /Content-Length 5, expected 100/],
    [{ samples: [sample(1, 124)] }, /RSS grew 64\.0 MiB \(60\.0 → 124\.0\), limit 64 MiB/],
    [{ samples: [] }, /no RSS samples/],
    [{ error: "the download did not end in time" }, /did not end in time/],
  ];
  for (const [change, expected] of cases) {
    const problems = downloadProblems({ ...good, ...change });
    assert.ok(problems.some((p) => expected.test(p)), `${expected}: ${problems.join("; ")}`);
  }
});
