/**
 * One suite for every SessionStore (as Hono runs one suite against each router): the memory
 * store, the directory store and the Redis store (against a real redis-server started for each
 * test) must behave alike.
 */
import assert from "node:assert/strict";
import { DirStore } from "../../../lib/session/dir_store.ts";
import { isSessionId, newSessionId } from "../../../lib/session/id.ts";
import { MemoryStore } from "../../../lib/session/memory_store.ts";
import { RedisStore } from "../../../lib/session/redis_store.ts";
import { REDIS_MISSING, redisInstalled, startRedis } from "../../_redis.ts";
import type { SessionStore, SessionStoreOptions } from "../../../lib/session/store.ts";

const TIMEOUT = 60_000;

/** A clock the test moves by hand. */
class Clock {
  now = Date.UTC(2030, 0, 1);
  advance(ms: number): void {
    this.now += ms;
  }
}

interface StoreKind {
  name: string;
  /** Why the kind's tests cannot run here, or null. */
  missing?: string | null;
  /** Opens a store; `cleanup` removes what it left. */
  open(options: SessionStoreOptions): Promise<{ store: SessionStore; cleanup(): Promise<void> }>;
}

const KINDS: StoreKind[] = [
  {
    name: "MemoryStore",
    open: (options) =>
      Promise.resolve({ store: new MemoryStore(options), cleanup: async () => {} }),
  },
  {
    name: "DirStore",
    async open(options) {
      const dir = await Deno.makeTempDir({ prefix: "webserv-store-" });
      return {
        store: await DirStore.open(dir, options),
        cleanup: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "RedisStore",
    missing: redisInstalled ? null : REDIS_MISSING,
    async open(options) {
      const redis = await startRedis();
      const store = new RedisStore(redis.url, { ...options, log: (line) => assert.fail(line) });
      await store.connecting;
      return { store, cleanup: () => redis.stop() };
    },
  },
];

async function withStore(
  kind: StoreKind,
  fn: (store: SessionStore, clock: Clock) => Promise<void>,
  options: Partial<SessionStoreOptions> = {},
): Promise<void> {
  const clock = new Clock();
  const { store, cleanup } = await kind.open({
    timeoutMs: TIMEOUT,
    maxSessions: 100,
    now: () => clock.now,
    sweepIntervalMs: 0,
    ...options,
  });
  try {
    await fn(store, clock);
  } finally {
    await store.close();
    await cleanup();
  }
}

/** Ids a client could send that must never be looked up. */
const FORGED = [
  "",
  "abc",
  "../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "a".repeat(42) + "/",
  "a".repeat(42) + ".",
  "a".repeat(44),
  "a".repeat(42) + "\0",
  "a".repeat(20) + "/../" + "a".repeat(19),
  "a".repeat(43) + ".json",
];

for (const kind of KINDS) {
  const missing = kind.missing ?? null;
  const named = (name: string) => `${kind.name} ${name}${missing === null ? "" : ` (${missing})`}`;
  const test = (name: string, fn: (store: SessionStore, clock: Clock) => Promise<void>) =>
    Deno.test({ name: named(name), ignore: missing !== null, fn: () => withStore(kind, fn) });

  test("create() issues distinct well-formed ids and get() returns the data", async (store) => {
    const a = await store.create({ user: "ann", n: 1, nested: { list: [1, "x"] } });
    const b = await store.create({});
    assert.ok(isSessionId(a) && isSessionId(b));
    assert.notEqual(a, b);
    assert.deepEqual(await store.get(a), { user: "ann", n: 1, nested: { list: [1, "x"] } });
    assert.deepEqual(await store.get(b), {});
  });

  test("get() returns a copy the caller may change", async (store) => {
    const id = await store.create({ n: 1 });
    const data = (await store.get(id))!;
    data.n = 2;
    assert.deepEqual(await store.get(id), { n: 1 });
  });

  test("update() replaces a live session's data", async (store) => {
    const id = await store.create({ n: 1 });
    assert.equal(await store.update(id, { n: 2, extra: true }), true);
    assert.deepEqual(await store.get(id), { n: 2, extra: true });
  });

  test("update() of an unknown id stores nothing", async (store) => {
    const unknown = newSessionId();
    assert.equal(await store.update(unknown, { n: 1 }), false);
    assert.equal(await store.get(unknown), null);
  });

  test("delete() removes a session; an unknown id is fine", async (store) => {
    const id = await store.create({ n: 1 });
    await store.delete(id);
    assert.equal(await store.get(id), null);
    assert.equal(await store.update(id, { n: 2 }), false, "a deleted session stays deleted");
    await store.delete(id);
    await store.delete(newSessionId());
  });

  test("a session expires after the idle timeout", async (store, clock) => {
    const id = await store.create({ n: 1 });
    clock.advance(TIMEOUT - 1);
    assert.deepEqual(await store.get(id), { n: 1 });
    clock.advance(TIMEOUT);
    assert.equal(await store.get(id), null);
    assert.equal(await store.update(id, { n: 2 }), false, "an expired session is not revived");
  });

  test("get() and update() refresh the idle timer", async (store, clock) => {
    const read = await store.create({});
    const written = await store.create({});
    for (let i = 0; i < 5; i++) {
      clock.advance(TIMEOUT / 2);
      assert.notEqual(await store.get(read), null);
      assert.equal(await store.update(written, { i }), true);
    }
    assert.deepEqual(await store.get(written), { i: 4 });
  });

  test("sweep() removes expired sessions only", async (store, clock) => {
    const old1 = await store.create({});
    const old2 = await store.create({});
    clock.advance(TIMEOUT / 2);
    const fresh = await store.create({ fresh: true });
    clock.advance(TIMEOUT / 2);
    assert.equal(await store.sweep(), 2);
    assert.equal(await store.sweep(), 0);
    assert.deepEqual(await store.get(fresh), { fresh: true });
    assert.equal(await store.get(old1), null);
    assert.equal(await store.get(old2), null);
  });

  Deno.test({
    name: named("evicts the least recently used past the cap"),
    ignore: missing !== null,
  }, () =>
    withStore(kind, async (store, clock) => {
      const a = await store.create({ name: "a" });
      clock.advance(1);
      const b = await store.create({ name: "b" });
      clock.advance(1);
      const c = await store.create({ name: "c" });
      clock.advance(1);
      await store.get(a);
      clock.advance(1);
      const d = await store.create({ name: "d" });
      assert.equal(await store.get(b), null, "b was used least recently");
      for (const id of [a, c, d]) assert.notEqual(await store.get(id), null);
    }, { maxSessions: 3 }));

  test("treats malformed ids as unknown", async (store) => {
    await store.create({ n: 1 });
    for (const id of FORGED) {
      assert.equal(await store.get(id), null, JSON.stringify(id));
      assert.equal(await store.update(id, { evil: true }), false, JSON.stringify(id));
      await store.delete(id);
    }
  });

  Deno.test(
    { name: named("sweeps periodically until closed"), ignore: missing !== null },
    async () => {
      const clock = new Clock();
      const { store, cleanup } = await kind.open({
        timeoutMs: TIMEOUT,
        maxSessions: 10,
        now: () => clock.now,
        sweepIntervalMs: 5,
      });
      try {
        await store.create({});
        // A shared store counts what it holds with a round trip.
        const sized = store as SessionStore & { readonly size: number | Promise<number> };
        assert.equal(await sized.size, 1);
        clock.advance(TIMEOUT);
        // Nothing looks the session up: only the timer's sweep can remove it.
        await waitFor(async () => await sized.size === 0 ? true : null);
      } finally {
        await store.close();
        await cleanup();
      }
    },
  );
}

/** Polls `check` (every few ms, 2 s at most) until it gives a value. */
async function waitFor<T>(check: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await check();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("Condition not met within 2 s");
}
