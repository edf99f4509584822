import assert from "node:assert/strict";
import {
  ConnectionZone,
  parseRate,
  RequestZone,
  zoneCapacity,
} from "../../../lib/access/rate_limit.ts";

const RATES: Array<[text: string, rate: number | null]> = [
  ["1r/s", 1000],
  ["10r/s", 10000],
  ["30r/m", 500],
  ["60r/m", 1000],
  ["1r/m", 16],
  ["007r/s", 7000],
  ["10", 10000],
  ["0r/s", null],
  ["0r/m", null],
  ["0", null],
  ["", null],
  ["r/s", null],
  ["10R/s", null],
  ["10r/h", null],
  ["1.5r/s", null],
  ["-1r/s", null],
  [" 1r/s", null],
  ["1 r/s", null],
  ["10r/sr/s", null],
  ["99999999999999999999r/s", null],
];

for (const [text, rate] of RATES) {
  Deno.test(`parseRate() returns ${rate} for "${text}"`, () => {
    assert.equal(parseRate(text), rate);
  });
}

const CAPACITIES: Array<[bytes: number, kind: "limit_req" | "limit_conn", keys: number]> = [
  [1024 * 1024, "limit_req", 8192],
  [10 * 1024 * 1024, "limit_req", 81920],
  [32768, "limit_req", 256],
  [1024 * 1024, "limit_conn", 16384],
  [100, "limit_conn", 1],
  [0, "limit_req", 0],
];

for (const [bytes, kind, keys] of CAPACITIES) {
  Deno.test(`zoneCapacity() holds ${keys} ${kind} states in ${bytes} bytes`, () => {
    assert.equal(zoneCapacity(bytes, kind), keys);
  });
}

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; at: (ms: number) => void } {
  let t = 0;
  return { now: () => t, at: (ms) => (t = ms) };
}

/** `[time in ms, the delay expected or "reject"]`, all for one key. */
type Step = [at: number, expect: number | "reject"];

interface BucketCase {
  name: string;
  rate: string;
  burst: number;
  delay: number | "nodelay";
  steps: Step[];
}

const BUCKETS: BucketCase[] = [
  {
    name: "1 r/s without burst rejects a second request within 1 s and accepts one after it",
    rate: "1r/s",
    burst: 0,
    delay: 0,
    steps: [[0, 0], [1, "reject"], [500, "reject"], [999, "reject"], [1000, 0], [1999, "reject"], [
      2000,
      0,
    ]],
  },
  {
    name: "burst 5 accepts 6 at once with growing delays and rejects the 7th",
    rate: "1r/s",
    burst: 5,
    delay: 0,
    steps: [[0, 0], [0, 1000], [0, 2000], [0, 3000], [0, 4000], [0, 5000], [0, "reject"]],
  },
  {
    name: "nodelay accepts the whole burst at once without delay",
    rate: "1r/s",
    burst: 5,
    delay: "nodelay",
    steps: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, "reject"]],
  },
  {
    name: "delay=2 serves 3 at once, then delays the rest of the burst",
    rate: "1r/s",
    burst: 5,
    delay: 2,
    steps: [[0, 0], [0, 0], [0, 0], [0, 1000], [0, 2000], [0, 3000], [0, "reject"]],
  },
  {
    name: "a delay above the burst never delays",
    rate: "1r/s",
    burst: 2,
    delay: 10,
    steps: [[0, 0], [0, 0], [0, 0], [0, "reject"]],
  },
  {
    name: "the bucket drains at the rate",
    rate: "1r/s",
    burst: 5,
    delay: 0,
    // 6 at once leave an excess of 5000; 2.5 s later it is 2500, plus this request's 1000.
    steps: [
      [0, 0],
      [0, 1000],
      [0, 2000],
      [0, 3000],
      [0, 4000],
      [0, 5000],
      [2500, 3500],
      [
        2500,
        4500,
      ],
      [2500, "reject"],
      [10_000, 0],
      [10_000, 1000],
    ],
  },
  {
    name: "a rejected request does not fill the bucket",
    rate: "1r/s",
    burst: 1,
    delay: 0,
    steps: [[0, 0], [0, 1000], [0, "reject"], [1, "reject"], [2, "reject"], [1000, 1000]],
  },
  {
    name: "10 r/s delays by tenths of a second",
    rate: "10r/s",
    burst: 3,
    delay: 0,
    steps: [[0, 0], [0, 100], [50, 150], [50, 250], [50, "reject"]],
  },
  {
    name: "30 r/m allows one request every 2 s",
    rate: "30r/m",
    burst: 0,
    delay: 0,
    steps: [[0, 0], [1999, "reject"], [2000, 0], [3000, "reject"], [4000, 0]],
  },
  {
    name: "1 r/m drains 16 thousandths a second (nginx truncates 1000/60)",
    rate: "1r/m",
    burst: 1,
    delay: 0,
    // After 60 s the excess of 1000 has drained by 960: 40 + 1000 is over the burst of 1000.
    steps: [[0, 0], [0, 62500], [60_000, "reject"], [62_500, 62500]],
  },
  {
    name: "a clock going back under 60 s counts no time and keeps the later time",
    rate: "1r/s",
    burst: 1,
    delay: 0,
    steps: [[10_000, 0], [5000, 1000], [10_500, "reject"], [11_000, 1000]],
  },
  {
    name: "a clock going back over 60 s counts 1 ms",
    rate: "1r/s",
    burst: 1,
    delay: 0,
    steps: [[100_000, 0], [0, 999]],
  },
];

for (const { name, rate, burst, delay, steps } of BUCKETS) {
  Deno.test(`RequestZone.take(): ${name}`, () => {
    const clock = fakeClock();
    const zone = new RequestZone("one", parseRate(rate)!, 100, clock.now);
    for (const [i, [at, expect]] of steps.entries()) {
      clock.at(at);
      const outcome = zone.take("client", burst, delay);
      const got = outcome.kind === "accept" ? outcome.delayMs : "reject";
      assert.equal(got, expect, `step ${i} at ${at} ms`);
    }
  });
}

Deno.test("RequestZone.take() reports the excess and the zone", () => {
  const zone = new RequestZone("one", 1000, 10, () => 0);
  assert.deepEqual(zone.take("a", 1, 0), { kind: "accept", delayMs: 0, excess: 0, zone: "one" });
  assert.deepEqual(zone.take("a", 1, 0), {
    kind: "accept",
    delayMs: 1000,
    excess: 1000,
    zone: "one",
  });
  assert.deepEqual(zone.take("a", 1, 0), {
    kind: "reject",
    reason: "busy",
    excess: 2000,
    zone: "one",
  });
});

Deno.test("RequestZone.take() keeps one bucket per key", () => {
  const zone = new RequestZone("one", 1000, 10, () => 0);
  assert.equal(zone.take("a", 0, 0).kind, "accept");
  assert.equal(zone.take("a", 0, 0).kind, "reject");
  assert.equal(zone.take("b", 0, 0).kind, "accept");
  assert.equal(zone.size, 2);
});

Deno.test("RequestZone.take() does not account an empty key", () => {
  const zone = new RequestZone("one", 1000, 10, () => 0);
  for (let i = 0; i < 3; i++) assert.equal(zone.take("", 0, 0).kind, "accept");
  assert.equal(zone.size, 0);
});

Deno.test("RequestZone rejects a bad rate, capacity, burst or delay", () => {
  assert.throws(() => new RequestZone("one", 0, 10), RangeError);
  assert.throws(() => new RequestZone("one", 1.5, 10), RangeError);
  assert.throws(() => new RequestZone("one", 1000, -1), RangeError);
  const zone = new RequestZone("one", 1000, 10, () => 0);
  assert.throws(() => zone.take("a", -1, 0), RangeError);
  assert.throws(() => zone.take("a", 1, 0.5), RangeError);
  assert.equal(zone.size, 0);
});

Deno.test("RequestZone removes a key idle for 60 s once drained, when a new key comes", () => {
  const clock = fakeClock();
  const zone = new RequestZone("one", 1000, 10, clock.now);
  zone.take("a", 0, 0);
  clock.at(59_999);
  zone.take("b", 0, 0);
  assert.ok(zone.has("a"), "idle under 60 s");
  clock.at(60_000);
  zone.take("c", 0, 0);
  assert.ok(!zone.has("a"), "idle 60 s and drained");
  assert.ok(zone.has("b"));
});

Deno.test("RequestZone keeps an idle key whose excess has not drained", () => {
  const clock = fakeClock();
  const zone = new RequestZone("slow", parseRate("1r/m")!, 10, clock.now);
  for (let i = 0; i < 10; i++) zone.take("a", 10, "nodelay"); // excess 9000
  clock.at(60_000); // drained by 960
  zone.take("b", 0, 0);
  assert.ok(zone.has("a"));
});

Deno.test("RequestZone removes at most two stale keys per new key", () => {
  const clock = fakeClock();
  const zone = new RequestZone("one", 1000, 10, clock.now);
  for (const key of ["a", "b", "c", "d"]) zone.take(key, 0, 0);
  clock.at(60_000);
  zone.take("e", 0, 0);
  assert.deepEqual(["a", "b", "c", "d", "e"].filter((key) => zone.has(key)), ["c", "d", "e"]);
});

Deno.test("RequestZone, when full, evicts a stale key before a fresh one", () => {
  const clock = fakeClock();
  const zone = new RequestZone("one", 1000, 2, clock.now);
  zone.take("a", 0, 0);
  clock.at(30_000);
  zone.take("b", 0, 0);
  clock.at(60_000);
  assert.equal(zone.take("c", 0, 0).kind, "accept");
  assert.deepEqual(["a", "b", "c"].filter((key) => zone.has(key)), ["b", "c"]);
});

Deno.test("RequestZone, when full of fresh keys, evicts the least recently used (as nginx)", () => {
  const zone = new RequestZone("one", 1000, 2, () => 0);
  zone.take("a", 0, 0);
  zone.take("b", 0, 0);
  assert.equal(zone.take("c", 0, 0).kind, "accept");
  assert.ok(!zone.has("a"));
  // "a" lost its state: it starts afresh, and pushes out "b".
  assert.equal(zone.take("a", 0, 0).kind, "accept");
  assert.deepEqual(["a", "b", "c"].filter((key) => zone.has(key)), ["a", "c"]);
  assert.equal(zone.size, 2);
});

Deno.test("RequestZone moves a key looked up, even rejected, to the recent end", () => {
  const zone = new RequestZone("one", 1000, 2, () => 0);
  zone.take("a", 0, 0);
  zone.take("b", 0, 0);
  assert.equal(zone.take("a", 0, 0).kind, "reject");
  zone.take("c", 0, 0);
  assert.deepEqual(["a", "b", "c"].filter((key) => zone.has(key)), ["a", "c"]);
});

Deno.test("RequestZone without room for any key rejects every key (could not allocate)", () => {
  const zone = new RequestZone("one", 1000, 0, () => 0);
  assert.deepEqual(zone.take("a", 5, 0), {
    kind: "reject",
    reason: "nomem",
    excess: 0,
    zone: "one",
  });
  assert.equal(zone.size, 0);
});

Deno.test("RequestZone.takeAll(): any limit that rejects rejects, and fills no bucket", () => {
  // nginx 1.22, `limit_req zone=one burst=3 nodelay; limit_req zone=two burst=1 nodelay;`,
  // 12 requests at once then 2 after 0.5 s: 200 200 503×10, 200 503.
  const clock = fakeClock();
  const one = new RequestZone("one", parseRate("1r/s")!, 10, clock.now);
  const two = new RequestZone("two", parseRate("2r/s")!, 10, clock.now);
  const limits = [
    { zone: one, key: "k", burst: 3, delay: "nodelay" as const },
    { zone: two, key: "k", burst: 1, delay: "nodelay" as const },
  ];
  const kinds = () => RequestZone.takeAll(limits)?.kind;
  assert.deepEqual([kinds(), kinds()], ["accept", "accept"]);
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(RequestZone.takeAll(limits), {
      kind: "reject",
      reason: "busy",
      excess: 2000,
      zone: "two",
    });
  }
  clock.at(500);
  // Had zone "one" counted the rejected requests, its excess would be far above 3000.
  assert.deepEqual(RequestZone.takeAll(limits), {
    kind: "accept",
    delayMs: 0,
    excess: 1000,
    zone: "two",
  });
  assert.equal(one.take("k", 3, "nodelay").kind, "accept"); // 1500 + 1000 <= 3000
});

Deno.test("RequestZone.takeAll(): the longest delay wins", () => {
  const now = () => 0;
  const slow = new RequestZone("slow", 1000, 10, now);
  const fast = new RequestZone("fast", 2000, 10, now);
  const limits = [
    { zone: slow, key: "k", burst: 5, delay: 0 },
    { zone: fast, key: "k", burst: 5, delay: 0 },
  ];
  const delays = [0, 1, 2].map(() => RequestZone.takeAll(limits));
  assert.deepEqual(delays.map((outcome) => outcome?.kind === "accept" && outcome.delayMs), [
    0,
    1000,
    2000,
  ]);
  assert.deepEqual(delays[2], { kind: "accept", delayMs: 2000, excess: 2000, zone: "slow" });
  // Both buckets were filled: "fast" alone would now delay by (3000 * 1000 / 2000) ms.
  assert.deepEqual(fast.take("k", 5, 0), {
    kind: "accept",
    delayMs: 1500,
    excess: 3000,
    zone: "fast",
  });
});

Deno.test("RequestZone.takeAll(): a reject by an early limit leaves the later ones unlooked", () => {
  const now = () => 0;
  const first = new RequestZone("first", 1000, 10, now);
  const second = new RequestZone("second", 1000, 10, now);
  first.take("k", 0, 0);
  const outcome = RequestZone.takeAll([
    { zone: first, key: "k", burst: 0, delay: 0 },
    { zone: second, key: "k", burst: 0, delay: 0 },
  ]);
  assert.equal(outcome?.kind, "reject");
  assert.equal(second.size, 0);
});

Deno.test("RequestZone.takeAll(): a key new to an earlier zone keeps an empty state on reject", () => {
  const now = () => 0;
  const first = new RequestZone("first", 1000, 10, now);
  const second = new RequestZone("second", 1000, 10, now);
  second.take("k", 0, 0);
  const limits = [
    { zone: first, key: "k", burst: 0, delay: 0 },
    { zone: second, key: "k", burst: 0, delay: 0 },
  ];
  assert.equal(RequestZone.takeAll(limits)?.kind, "reject");
  assert.ok(first.has("k"));
  assert.deepEqual(first.take("k", 0, 0), { kind: "accept", delayMs: 0, excess: 0, zone: "first" });
});

Deno.test("RequestZone.takeAll(): skips empty keys, and returns null when all are empty", () => {
  const zone = new RequestZone("one", 1000, 10, () => 0);
  const other = new RequestZone("other", 1000, 10, () => 0);
  assert.equal(RequestZone.takeAll([]), null);
  assert.equal(RequestZone.takeAll([{ zone, key: "", burst: 0, delay: 0 }]), null);
  const limits = [
    { zone, key: "a", burst: 0, delay: 0 },
    { zone: other, key: "", burst: 0, delay: 0 },
  ];
  assert.equal(RequestZone.takeAll(limits)?.kind, "accept");
  assert.equal(RequestZone.takeAll(limits)?.kind, "reject");
  assert.equal(other.size, 0);
});

Deno.test("RequestZone.takeAll() refuses a zone twice (nginx: is duplicate)", () => {
  const zone = new RequestZone("one", 1000, 10, () => 0);
  const limit = { zone, key: "a", burst: 0, delay: 0 };
  assert.throws(() => RequestZone.takeAll([limit, limit]), Error);
  assert.equal(zone.size, 0);
});

Deno.test("ConnectionZone.acquire() counts up to the maximum per key", () => {
  const zone = new ConnectionZone("addr", 10);
  const first = zone.acquire("a", 2);
  const second = zone.acquire("a", 2);
  assert.ok(first !== null && second !== null);
  assert.equal(zone.acquire("a", 2), null);
  assert.equal(zone.count("a"), 2);
  assert.notEqual(zone.acquire("b", 2), null);
  first();
  assert.equal(zone.count("a"), 1);
  assert.notEqual(zone.acquire("a", 2), null);
});

Deno.test("ConnectionZone release is idempotent and removes a key at zero", () => {
  const zone = new ConnectionZone("addr", 10);
  const first = zone.acquire("a", 5)!;
  const second = zone.acquire("a", 5)!;
  first();
  first();
  first();
  assert.equal(zone.count("a"), 1);
  second();
  assert.equal(zone.count("a"), 0);
  assert.equal(zone.size, 0);
  second();
  assert.equal(zone.size, 0);
});

Deno.test("ConnectionZone, when full, rejects a new key but not a known one", () => {
  const zone = new ConnectionZone("addr", 2);
  const a = zone.acquire("a", 5)!;
  zone.acquire("b", 5);
  assert.equal(zone.acquire("c", 5), null);
  assert.notEqual(zone.acquire("a", 5), null);
  a();
  assert.equal(zone.acquire("c", 5), null, "a is still in progress once");
  zone.acquire("b", 5); // b now 2
  assert.equal(zone.size, 2);
});

Deno.test("ConnectionZone frees room when a key drops to zero", () => {
  const zone = new ConnectionZone("addr", 1);
  const a = zone.acquire("a", 1)!;
  assert.equal(zone.acquire("b", 1), null);
  a();
  assert.notEqual(zone.acquire("b", 1), null);
});

Deno.test("ConnectionZone rejects a bad capacity or maximum", () => {
  assert.throws(() => new ConnectionZone("addr", -1), RangeError);
  const zone = new ConnectionZone("addr", 1);
  assert.throws(() => zone.acquire("a", 0), RangeError);
  assert.throws(() => zone.acquire("a", 1.5), RangeError);
  assert.equal(zone.size, 0);
});

Deno.test("ConnectionZone.acquireAll() counts under every limit and releases them together", () => {
  const perip = new ConnectionZone("perip", 10);
  const perserver = new ConnectionZone("perserver", 10);
  const limits = [{ zone: perip, key: "10.0.0.1", max: 1 }, {
    zone: perserver,
    key: "example.org",
    max: 5,
  }];
  const outcome = ConnectionZone.acquireAll(limits);
  assert.equal(outcome?.kind, "accept");
  assert.deepEqual([perip.count("10.0.0.1"), perserver.count("example.org")], [1, 1]);
  if (outcome?.kind === "accept") {
    outcome.release();
    outcome.release();
  }
  assert.deepEqual([perip.size, perserver.size], [0, 0]);
});

Deno.test("ConnectionZone.acquireAll(): a refusal releases what the earlier limits counted", () => {
  const perserver = new ConnectionZone("perserver", 10);
  const perip = new ConnectionZone("perip", 10);
  const held = perip.acquire("10.0.0.1", 1)!;
  const limits = [
    { zone: perserver, key: "example.org", max: 5 },
    { zone: perip, key: "10.0.0.1", max: 1 },
  ];
  assert.deepEqual(ConnectionZone.acquireAll(limits), {
    kind: "reject",
    reason: "busy",
    zone: "perip",
  });
  assert.equal(perserver.count("example.org"), 0);
  held();
  const full = new ConnectionZone("full", 0);
  assert.deepEqual(ConnectionZone.acquireAll([...limits, { zone: full, key: "x", max: 1 }]), {
    kind: "reject",
    reason: "nomem",
    zone: "full",
  });
  assert.deepEqual([perserver.size, perip.size], [0, 0]);
});

Deno.test("ConnectionZone.acquireAll() skips empty keys, and returns null when all are empty", () => {
  const zone = new ConnectionZone("addr", 10);
  assert.equal(ConnectionZone.acquireAll([]), null);
  assert.equal(ConnectionZone.acquireAll([{ zone, key: "", max: 1 }]), null);
  assert.equal(zone.size, 0);
});
