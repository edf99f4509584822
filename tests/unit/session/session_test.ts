import assert from "node:assert/strict";
import { MemoryStore } from "../../../lib/session/memory_store.ts";
import {
  expiredSessionCookie,
  regenerateSession,
  resolveSession,
  SESSION_COOKIE,
  sessionCookie,
} from "../../../lib/session/session.ts";
import { newSessionId } from "../../../lib/session/id.ts";

const TIMEOUT = 60_000;

async function withStore(fn: (store: MemoryStore, clock: { now: number }) => Promise<void>) {
  const clock = { now: 1_000_000 };
  const store = new MemoryStore({
    timeoutMs: TIMEOUT,
    maxSessions: 100,
    now: () => clock.now,
    sweepIntervalMs: 0,
  });
  try {
    await fn(store, clock);
  } finally {
    await store.close();
  }
}

Deno.test("resolveSession() issues a new session when there is no cookie", async () => {
  await withStore(async (store) => {
    const s = await resolveSession(store, []);
    assert.equal(s.issued, true);
    assert.deepEqual(s.data, {});
    assert.deepEqual(await store.get(s.id), {});
  });
});

Deno.test("resolveSession() loads the session a valid cookie names", async () => {
  await withStore(async (store) => {
    const id = await store.create({ user: "demo" });
    const s = await resolveSession(store, [`theme=dark; ${SESSION_COOKIE}=${id}; x=1`]);
    assert.deepEqual(s, { id, data: { user: "demo" }, issued: false });
  });
});

Deno.test("resolveSession() never adopts an id the store does not know", async () => {
  await withStore(async (store) => {
    const forged = newSessionId();
    const s = await resolveSession(store, [`${SESSION_COOKIE}=${forged}`]);
    assert.equal(s.issued, true);
    assert.notEqual(s.id, forged);
    assert.equal(await store.get(forged), null, "the forged id was not created");
    assert.equal(store.size, 1);
  });
});

/** [description, Cookie header] */
const REJECTED: [string, string][] = [
  ["a malformed id", `${SESSION_COOKIE}=../../etc/passwd`],
  ["a too short id", `${SESSION_COOKIE}=abc`],
  ["an empty id", `${SESSION_COOKIE}=`],
  ["junk", `;;==; ${SESSION_COOKIE}`],
  ["another cookie's name", `OTHER=${"a".repeat(43)}`],
];

for (const [description, header] of REJECTED) {
  Deno.test(`resolveSession() issues a new id for ${description}`, async () => {
    await withStore(async (store) => {
      const s = await resolveSession(store, [header]);
      assert.equal(s.issued, true);
      assert.ok(!header.includes(s.id));
    });
  });
}

Deno.test("resolveSession() issues a new id for an expired session", async () => {
  await withStore(async (store, clock) => {
    const id = await store.create({ user: "demo" });
    clock.now += TIMEOUT;
    const s = await resolveSession(store, [`${SESSION_COOKIE}=${id}`]);
    assert.equal(s.issued, true);
    assert.notEqual(s.id, id);
    assert.deepEqual(s.data, {}, "nothing of the expired session is carried over");
  });
});

Deno.test("resolveSession() takes the first of duplicate cookies, and a custom name", async () => {
  await withStore(async (store) => {
    const id = await store.create({ n: 1 });
    const other = await store.create({ n: 2 });
    const s = await resolveSession(store, [`SID=${id}`, `SID=${other}`], "SID");
    assert.equal(s.id, id);
  });
});

Deno.test("regenerateSession() moves the data to a new id and drops the old", async () => {
  await withStore(async (store) => {
    const id = await store.create({ user: "demo" });
    const next = await regenerateSession(store, id, { user: "demo", n: 1 });
    assert.notEqual(next, id);
    assert.equal(await store.get(id), null);
    assert.deepEqual(await store.get(next), { user: "demo", n: 1 });
  });
});

Deno.test("sessionCookie() is HttpOnly and SameSite=Lax on Path=/", () => {
  const id = "a".repeat(43);
  assert.equal(sessionCookie(id), `WSSESSID=${id}; Path=/; HttpOnly; SameSite=Lax`);
  assert.equal(
    sessionCookie(id, { name: "SID", maxAge: 600, secure: true }),
    `SID=${id}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure`,
  );
});

Deno.test("expiredSessionCookie() empties and expires the cookie", () => {
  assert.equal(
    expiredSessionCookie(),
    "WSSESSID=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
  );
});
