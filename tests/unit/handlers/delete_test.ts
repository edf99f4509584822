import assert from "node:assert/strict";
import { join } from "node:path";
import type { LocationConfig } from "../../../lib/config/types.ts";
import { deleteHandler } from "../../../lib/handlers/delete.ts";
import { testContext, testHead, testLocation } from "../_fixtures.ts";

function locationFor(root: string, path = "/", alias: string | null = null): LocationConfig {
  return testLocation({ root, path, alias, allowMethods: ["GET", "HEAD", "DELETE"] });
}

async function del(location: LocationConfig, path: string, method = "DELETE") {
  return await deleteHandler(
    testContext({ head: testHead({ method, target: path }), path, location }),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A root with files, a directory, and an outside directory with a secret. */
async function withTree(fn: (root: string, outside: string) => Promise<void>): Promise<void> {
  const top = await Deno.makeTempDir({ prefix: "delete_test_" });
  const root = join(top, "root");
  const outside = join(top, "outside");
  try {
    await Deno.mkdir(join(root, "dir"), { recursive: true });
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(root, "a.txt"), "a");
    await Deno.writeTextFile(join(root, "dir", "b.txt"), "b");
    await Deno.writeTextFile(join(root, ".hidden"), "h");
    await Deno.writeTextFile(join(outside, "secret.txt"), "secret");
    await fn(root, outside);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
}

Deno.test("deleteHandler declines methods other than DELETE", async () => {
  await withTree(async (root) => {
    for (const method of ["GET", "POST", "PUT", "delete"]) {
      assert.equal(await del(locationFor(root), "/a.txt", method), null, method);
    }
    assert.ok(await exists(join(root, "a.txt")));
  });
});

Deno.test("deleteHandler declines where allow_methods does not name DELETE", async () => {
  await withTree(async (root) => {
    for (const allowMethods of [null, ["GET", "HEAD"]]) {
      const location = { ...locationFor(root), allowMethods };
      assert.equal(await del(location, "/a.txt"), null, String(allowMethods));
    }
    assert.ok(await exists(join(root, "a.txt")));
  });
});

Deno.test("deleteHandler removes files and answers 204, 404 or 403", async () => {
  await withTree(async (root) => {
    const table: [path: string, status: number][] = [
      ["/a.txt", 204],
      ["/a.txt", 404],
      ["/dir/b.txt", 204],
      ["/missing.txt", 404],
      ["/missing/x.txt", 404],
      ["/a.txt/x", 404],
      ["/dir", 403],
      ["/dir/", 403],
      ["/", 403],
      ["/.hidden", 404],
    ];
    for (const [path, status] of table) {
      const response = await del(locationFor(root), path);
      assert.equal(response?.status, status, path);
      assert.equal(response?.body, null);
    }
    assert.ok(!(await exists(join(root, "a.txt"))));
    assert.ok(!(await exists(join(root, "dir", "b.txt"))));
    assert.ok(await exists(join(root, "dir")));
    assert.ok(await exists(join(root, ".hidden")));
  });
});

Deno.test("deleteHandler removes a symlink to outside the root, never its target", async () => {
  await withTree(async (root, outside) => {
    await Deno.symlink(join(outside, "secret.txt"), join(root, "link.txt"));
    await Deno.symlink(outside, join(root, "dirlink"));
    assert.equal((await del(locationFor(root), "/link.txt"))?.status, 204);
    assert.ok(!(await exists(join(root, "link.txt"))));
    assert.equal(await Deno.readTextFile(join(outside, "secret.txt")), "secret");
    // A symlinked directory that leads outside: nothing below it can be removed.
    assert.equal((await del(locationFor(root), "/dirlink/secret.txt"))?.status, 403);
    assert.equal(await Deno.readTextFile(join(outside, "secret.txt")), "secret");
    // The link to the directory is itself a file to remove.
    assert.equal((await del(locationFor(root), "/dirlink"))?.status, 204);
    assert.ok(await exists(outside));
  });
});

Deno.test("deleteHandler maps alias locations and stays inside the alias", async () => {
  await withTree(async (root, outside) => {
    const location = locationFor("/nonexistent-root", "/files/", join(root, "dir") + "/");
    assert.equal((await del(location, "/files/b.txt"))?.status, 204);
    assert.ok(!(await exists(join(root, "dir", "b.txt"))));
    assert.equal((await del(location, "/files/"))?.status, 403);
    assert.equal((await del(location, "/other/a.txt"))?.status, 403);
    assert.equal(await Deno.readTextFile(join(outside, "secret.txt")), "secret");
    assert.equal(await Deno.readTextFile(join(root, "a.txt")), "a");
  });
});

Deno.test("deleteHandler refuses a path outside the root", async () => {
  await withTree(async (root, outside) => {
    assert.equal((await del(locationFor(root), "/../outside/secret.txt"))?.status, 403);
    assert.equal(await Deno.readTextFile(join(outside, "secret.txt")), "secret");
  });
});

/** Runs `chattr` (root cannot be stopped by permissions, only by the immutable flag). */
async function chattr(flag: string, path: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("chattr", { args: [flag, path], stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

Deno.test("deleteHandler answers 409 when the file cannot be removed", async () => {
  await withTree(async (root) => {
    const dir = join(root, "dir");
    const file = join(dir, "b.txt");
    const asRoot = Deno.uid() === 0;
    // As root, only an immutable file resists; skip where the file system has no such flag.
    if (asRoot && !(await chattr("+i", file))) return;
    if (!asRoot) await Deno.chmod(dir, 0o555);
    try {
      assert.equal((await del(locationFor(root), "/dir/b.txt"))?.status, 409);
      assert.ok(await exists(file));
    } finally {
      if (asRoot) await chattr("-i", file);
      else await Deno.chmod(dir, 0o755);
    }
  });
});
