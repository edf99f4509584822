/** The state directory: modes, whole files, and the lock between processes. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { StateStore } from "../../../lib/acme/state_store.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-acme-state-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("StateStore keeps keys and certificates private, whole, by first name", async () => {
  await withDir(async (parent) => {
    const dir = join(parent, "state");
    const store = new StateStore(dir);
    assert.equal(await store.readCertificate(["a.test"]), null);
    assert.equal(await store.readAccountKey(), null);
    await store.writeAccountKey("ACCOUNT");
    await store.writeCertificate(["a.test", "b.test"], { cert: "CERT", key: "KEY" });
    assert.equal(await store.readAccountKey(), "ACCOUNT");
    assert.deepEqual(await store.readCertificate(["a.test", "b.test"]), {
      cert: "CERT",
      key: "KEY",
    });
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      names.push(entry.name);
      assert.equal((await Deno.stat(join(dir, entry.name))).mode! & 0o777, 0o600, entry.name);
    }
    // No temporary file is left behind.
    assert.deepEqual(names.sort(), ["a.test.crt", "a.test.key", "account.key"]);
  });
});

Deno.test("StateStore's lock: taken once, refused while a live process holds it", async () => {
  await withDir(async (dir) => {
    const store = new StateStore(dir);
    assert.equal(await store.lock(), true);
    // Taken by this process already (an older configuration of it): taken over.
    assert.equal(await store.lock(), true);
    await store.unlock();
    // A live other process (pid 1 exists on Linux) holds it: refused, and left in place.
    await Deno.writeTextFile(join(dir, "lock"), "1\n");
    assert.equal(await store.lock(), false);
    await store.unlock();
    assert.equal(await Deno.readTextFile(join(dir, "lock")), "1\n");
    // A process that is gone: taken over.
    await Deno.writeTextFile(join(dir, "lock"), "2147483646\n");
    assert.equal(await store.lock(), true);
    assert.equal(await Deno.readTextFile(join(dir, "lock")), `${Deno.pid}\n`);
  });
});

Deno.test("StateStore with state_path off keeps nothing and never locks out", async () => {
  const store = new StateStore(null);
  await store.writeAccountKey("ACCOUNT");
  assert.equal(await store.readAccountKey(), null);
  assert.equal(await store.lock(), true);
});
