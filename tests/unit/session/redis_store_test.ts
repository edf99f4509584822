/** What only the Redis store does: sharing between instances, Redis TTLs, and Redis failing. */
import assert from "node:assert/strict";
import { HttpError } from "../../../lib/http/errors.ts";
import { RedisStore, type RedisStoreOptions } from "../../../lib/session/redis_store.ts";
import { redactedUrl, redisUrlProblem } from "../../../lib/session/redis_url.ts";
import { REDIS_MISSING, redisCommand, redisInstalled, startRedis } from "../../_redis.ts";

const OPTIONS: RedisStoreOptions = { timeoutMs: 60_000, maxSessions: 100, sweepIntervalMs: 0 };

Deno.test("redisUrlProblem() takes node-redis's URL forms and names what is wrong", () => {
  for (const ok of ["redis://h", "redis://h:6380/2", "rediss://u:p@h:1/0", "redis://:secret@h/"]) {
    assert.equal(redisUrlProblem(ok), null, ok);
  }
  assert.equal(redisUrlProblem("redis://"), "it names no host");
  assert.equal(redisUrlProblem("redis://h:port/0"), "it is not a valid URL");
  assert.equal(redisUrlProblem("redis://h/db"), "its path must be a database number");
  assert.equal(redisUrlProblem("redis://h:99999/0"), "it is not a valid URL");
  assert.equal(redisUrlProblem("redis://h/0?x=1"), "it may not have a query or a fragment");
  assert.equal(redactedUrl("redis://user:secret@h:1/0"), "redis://user:***@h:1/0");
  assert.equal(redactedUrl("redis://h:1/0"), "redis://h:1/0");
});

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: redisInstalled ? name : `${name} (${REDIS_MISSING})`,
    ignore: !redisInstalled,
    fn,
  });

test("two RedisStores on one Redis share sessions, which Redis expires by itself", async () => {
  const redis = await startRedis();
  const a = new RedisStore(redis.url, OPTIONS);
  const b = new RedisStore(redis.url, OPTIONS);
  try {
    await Promise.all([a.connecting, b.connecting]);
    const id = await a.create({ n: 1 });
    assert.deepEqual(await b.get(id), { n: 1 });
    assert.equal(await b.update(id, { n: 2 }), true);
    assert.deepEqual(await a.get(id), { n: 2 });
    const ttl = Number(
      /^:(\d+)/.exec(await redisCommand(redis.port, "PTTL", `webserv:session:${id}`))?.[1],
    );
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl}`);
    await b.delete(id);
    assert.equal(await a.get(id), null);
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});

test("a Redis that is down or stalled is a 503 and a log line, and the store recovers", async () => {
  const redis = await startRedis();
  const lines: string[] = [];
  const store = new RedisStore(redis.url, {
    ...OPTIONS,
    commandTimeoutMs: 300,
    log: (l) => lines.push(l),
  });
  try {
    await store.connecting;
    const id = await store.create({ n: 1 });
    // Stalled: the process stops answering; each command gives up after its time limit.
    Deno.kill(redis.pid, "SIGSTOP");
    const started = Date.now();
    await assert.rejects(store.get(id), (e: unknown) => e instanceof HttpError && e.status === 503);
    assert.ok(Date.now() - started < 3000);
    assert.ok(
      lines.some((l) =>
        l.startsWith(`session store "${redis.url}" failed: no answer within 300 ms`)
      ),
      lines.join("\n"),
    );
    Deno.kill(redis.pid, "SIGCONT");
    assert.deepEqual(await store.get(id), { n: 1 });
    // Down: refused at once (no offline queue), never a crash.
    await redis.stop();
    lines.length = 0;
    await assert.rejects(
      store.create({}),
      (e: unknown) => e instanceof HttpError && e.status === 503,
    );
    await assert.rejects(
      store.update(id, {}),
      (e: unknown) => e instanceof HttpError && e.status === 503,
    );
    assert.ok(
      lines.some((l) => l.startsWith(`session store "${redis.url}" failed: `)),
      lines.join("\n"),
    );
  } finally {
    try {
      Deno.kill(redis.pid, "SIGCONT");
    } catch {
      // Gone.
    }
    await store.close();
    await redis.stop();
  }
});

test("lock() holds a session across instances; a waiter gives up after maxWaitMs", async () => {
  const redis = await startRedis();
  const a = new RedisStore(redis.url, OPTIONS);
  const b = new RedisStore(redis.url, OPTIONS);
  try {
    await Promise.all([a.connecting, b.connecting]);
    const id = await a.create({});
    const releaseA = await a.lock(id, 5000);
    let releasedAt = Infinity;
    const waited = b.lock(id, 5000).then((release) => ({ release, at: Date.now() }));
    // A hold of 150 ms (the scenario, not a wait for an event): b gets the lock only after it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    releasedAt = Date.now();
    releaseA();
    const { release: releaseB, at } = await waited;
    assert.ok(at >= releasedAt, "b got the lock while a held it");
    // b holds it now: a third request waits 200 ms, then goes on without it.
    const started = Date.now();
    const releaseC = await a.lock(id, 200);
    assert.ok(Date.now() - started >= 200);
    // The one that gave up does not free b's lock.
    releaseC();
    assert.match(await redisCommand(redis.port, "EXISTS", `webserv:lock:${id}`), /^:1/);
    releaseB();
    const deadline = Date.now() + 5000;
    while (!/^:0/.test(await redisCommand(redis.port, "EXISTS", `webserv:lock:${id}`))) {
      assert.ok(Date.now() < deadline, "b's release did not delete the lock");
    }
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});

test("a password in the URL is sent (AUTH), never logged; a wrong one is a 503", async () => {
  const redis = await startRedis({ password: "s3cret" });
  const lines: string[] = [];
  const good = new RedisStore(redis.url, { ...OPTIONS, log: (l) => lines.push(l) });
  const wrongUrl = redis.url.replace("s3cret", "wrong");
  const bad = new RedisStore(wrongUrl, { ...OPTIONS, log: (l) => lines.push(l) });
  try {
    await Promise.all([good.connecting, bad.connecting]);
    const id = await good.create({ n: 1 });
    assert.deepEqual(await good.get(id), { n: 1 });
    await assert.rejects(bad.get(id), (e: unknown) => e instanceof HttpError && e.status === 503);
    assert.ok(lines.length > 0);
    assert.ok(lines.every((l) => !l.includes("wrong") && !l.includes("s3cret")), lines.join("\n"));
    assert.ok(lines.some((l) => l.includes(`redis://:***@127.0.0.1:${redis.port}/0`)));
  } finally {
    await good.close();
    await bad.close();
    await redis.stop();
  }
});
