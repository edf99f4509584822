/** What only the directory store does: files, restarts, crash leftovers, forged names. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DirStore } from "../../../lib/session/dir_store.ts";
import { newSessionId } from "../../../lib/session/id.ts";
import type { SessionStoreOptions } from "../../../lib/session/store.ts";

const TIMEOUT = 60_000;

async function withDir(fn: (dir: string, parent: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "webserv-dirstore-" });
  try {
    await fn(join(parent, "sessions"), parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

function options(clock: { now: number }, over: Partial<SessionStoreOptions> = {}) {
  return {
    timeoutMs: TIMEOUT,
    maxSessions: 100,
    now: () => clock.now,
    sweepIntervalMs: 0,
    ...over,
  };
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("DirStore.open() creates the directory with mode 0700", async () => {
  await withDir(async (dir) => {
    const store = await DirStore.open(dir, options({ now: 0 }));
    await store.close();
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  });
});

Deno.test("DirStore keeps one 0600 JSON file per session and no temporary files", async () => {
  await withDir(async (dir) => {
    const store = await DirStore.open(dir, options({ now: Date.now() }));
    try {
      const id = await store.create({ user: "ann" });
      await store.update(id, { user: "ann", visits: 2 });
      assert.deepEqual(await names(dir), [`${id}.json`]);
      const file = join(dir, `${id}.json`);
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { user: "ann", visits: 2 });
    } finally {
      await store.close();
    }
  });
});

Deno.test("DirStore sessions survive a restart on the same directory", async () => {
  await withDir(async (dir) => {
    const clock = { now: Date.UTC(2030, 0, 1) };
    const first = await DirStore.open(dir, options(clock));
    const id = await first.create({ visits: 1 });
    await first.update(id, { visits: 2 });
    await first.close();
    clock.now += TIMEOUT / 2;
    const second = await DirStore.open(dir, options(clock));
    try {
      assert.equal(second.size, 1);
      assert.deepEqual(await second.get(id), { visits: 2 });
    } finally {
      await second.close();
    }
  });
});

Deno.test("DirStore.open() drops expired sessions and crash leftovers, keeps the cap", async () => {
  await withDir(async (dir) => {
    const clock = { now: Date.UTC(2030, 0, 1) };
    const first = await DirStore.open(dir, options(clock));
    const old = await first.create({ old: true });
    clock.now += TIMEOUT / 2;
    const older = await first.create({ n: 1 });
    clock.now += 1;
    const newest = await first.create({ n: 2 });
    await first.close();
    await Deno.writeTextFile(join(dir, `.${newest}.abc.tmp`), "{half");
    await Deno.writeTextFile(join(dir, "notes.txt"), "not a session");
    clock.now += TIMEOUT / 2;
    const second = await DirStore.open(dir, options(clock, { maxSessions: 1 }));
    try {
      assert.deepEqual(await names(dir), [`${newest}.json`, "notes.txt"].sort());
      assert.equal(await second.get(old), null, "expired");
      assert.equal(await second.get(older), null, "evicted: over the cap, least recently used");
      assert.deepEqual(await second.get(newest), { n: 2 });
    } finally {
      await second.close();
    }
  });
});

Deno.test("DirStore never builds a path from a malformed id", async () => {
  await withDir(async (dir, parent) => {
    const store = await DirStore.open(dir, options({ now: Date.now() }));
    try {
      // Files a traversal would reach: they must be neither read, written nor removed.
      const outside = join(parent, "victim.json");
      await Deno.writeTextFile(outside, '{"secret":true}');
      await Deno.writeTextFile(join(dir, "victim.json"), '{"secret":true}');
      for (const id of ["../victim", "victim", "./victim", "..%2Fvictim", `../${"a".repeat(40)}`]) {
        assert.equal(await store.get(id), null, id);
        assert.equal(await store.update(id, { evil: true }), false, id);
        await store.delete(id);
      }
      assert.equal(await Deno.readTextFile(outside), '{"secret":true}');
      assert.equal(await Deno.readTextFile(join(dir, "victim.json")), '{"secret":true}');
    } finally {
      await store.close();
    }
  });
});

Deno.test("DirStore ignores a session file that is a symlink", async () => {
  await withDir(async (dir, parent) => {
    const store = await DirStore.open(dir, options({ now: Date.now() }));
    try {
      const target = join(parent, "elsewhere.json");
      await Deno.writeTextFile(target, '{"user":"admin"}');
      const id = newSessionId();
      await Deno.symlink(target, join(dir, `${id}.json`));
      assert.equal(await store.get(id), null);
    } finally {
      await store.close();
    }
  });
});

Deno.test("DirStore treats a damaged file as no session and removes it", async () => {
  await withDir(async (dir) => {
    const store = await DirStore.open(dir, options({ now: Date.now() }));
    try {
      const id = await store.create({ n: 1 });
      await Deno.writeTextFile(join(dir, `${id}.json`), "{not json");
      assert.equal(await store.get(id), null);
      assert.deepEqual(await names(dir), []);
    } finally {
      await store.close();
    }
  });
});

Deno.test("DirStore writes atomically: concurrent updates leave one whole version", async () => {
  await withDir(async (dir) => {
    const store = await DirStore.open(dir, options({ now: Date.now() }));
    try {
      const id = await store.create({});
      const big = "x".repeat(200_000);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.update(id, { i, big })),
      );
      const data = await store.get(id);
      assert.equal(data?.big, big);
      assert.equal(typeof data?.i, "number");
      assert.deepEqual(await names(dir), [`${id}.json`]);
    } finally {
      await store.close();
    }
  });
});

Deno.test("DirStore sessions written by another instance on the same directory are found", async () => {
  await withDir(async (dir) => {
    const clock = { now: Date.now() };
    const a = await DirStore.open(dir, options(clock));
    const b = await DirStore.open(dir, options(clock));
    try {
      const id = await a.create({ from: "a" });
      assert.deepEqual(await b.get(id), { from: "a" });
      await b.delete(id);
      assert.equal(await a.get(id), null);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
