import assert from "node:assert/strict";
import { join } from "node:path";
import { LogFile } from "../../../lib/log/log_file.ts";

Deno.test("reopen() moves a log file to a new file at its path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await LogFile.open(join(dir, "a.log"));
    const b = await LogFile.open(join(dir, "b.log"));
    a.write("a before\n");
    b.write("b before\n");
    await a.flush();
    // logrotate's move; a line still queued when the reopen comes goes to the old file.
    await Deno.rename(join(dir, "a.log"), join(dir, "a.log.1"));
    await Deno.rename(join(dir, "b.log"), join(dir, "b.log.1"));
    a.write("a queued\n");
    assert.deepEqual([await a.reopen(), await b.reopen()], [null, null]);
    a.write("a after\n");
    b.write("b after\n");
    await a.close();
    await b.close();
    assert.equal(await Deno.readTextFile(join(dir, "a.log.1")), "a before\na queued\n");
    assert.equal(await Deno.readTextFile(join(dir, "a.log")), "a after\n");
    assert.equal(await Deno.readTextFile(join(dir, "b.log.1")), "b before\n");
    assert.equal(await Deno.readTextFile(join(dir, "b.log")), "b after\n");
    // A closed file is not reopened (nor made again).
    await Deno.remove(join(dir, "a.log"));
    assert.equal(await a.reopen(), null);
    await assert.rejects(Deno.stat(join(dir, "a.log")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a log file that cannot be reopened says why and keeps writing to the old one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sub = join(dir, "logs");
    await Deno.mkdir(sub);
    const log = await LogFile.open(join(sub, "x.log"));
    await Deno.rename(sub, join(dir, "moved"));
    const failure = await log.reopen();
    assert.match(failure ?? "", new RegExp(`^cannot reopen log file "${join(sub, "x.log")}": `));
    log.write("still here\n");
    await log.close();
    assert.equal(await Deno.readTextFile(join(dir, "moved", "x.log")), "still here\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
