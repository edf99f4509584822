import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../../lib/config/load.ts";
import { PidFile, pidFilePath, readPidFile } from "../../../lib/cli/pid_file.ts";

Deno.test("pidFilePath() is logs/webserv.pid beside the config, or the pid directive resolved", () => {
  const plain = parseConfig("server { listen 80; }\n", "/etc/webserv/webserv.conf");
  assert.equal(pidFilePath(plain), "/etc/webserv/logs/webserv.pid");
  const set = parseConfig("pid run/w.pid;\nserver { listen 80; }\n", "/etc/webserv/webserv.conf");
  assert.equal(pidFilePath(set), "/etc/webserv/run/w.pid");
  const absolute = parseConfig("pid /run/webserv/webserv.pid;\nserver {}\n", "/etc/w.conf");
  assert.equal(pidFilePath(absolute), "/run/webserv/webserv.pid");
});

Deno.test("the pid directive is main-only and takes one path", () => {
  assert.throws(
    () => parseConfig("server { pid x.pid; }\n", "/t.conf"),
    { message: '/t.conf:1: "pid" directive is not allowed here' },
  );
  assert.throws(
    () => parseConfig("pid a.pid;\npid b.pid;\nserver {}\n", "/t.conf"),
    { message: '/t.conf:2: "pid" directive is duplicate' },
  );
  assert.throws(
    () => parseConfig("pid a b;\nserver {}\n", "/t.conf"),
    { message: '/t.conf:1: invalid number of arguments in "pid" directive' },
  );
});

Deno.test("readPidFile() takes a positive pid and words each failure as nginx does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "w.pid");
    const cases: [content: string, expected: number | string][] = [
      ["1234\n", 1234],
      ["  42  \n", 42],
      ["", `invalid PID number "" in "${file}"`],
      ["0\n", `invalid PID number "0" in "${file}"`],
      ["-1\n", `invalid PID number "-1" in "${file}"`],
      ["12ab\n", `invalid PID number "12ab" in "${file}"`],
      ["99999999999\n", `invalid PID number "99999999999" in "${file}"`],
      ["1 2\n", `invalid PID number "1 2" in "${file}"`],
    ];
    for (const [content, expected] of cases) {
      await Deno.writeTextFile(file, content);
      const read = await readPidFile(file);
      if (typeof expected === "number") assert.deepEqual(read, { ok: true, pid: expected });
      else assert.deepEqual(read, { ok: false, error: expected }, JSON.stringify(content));
    }
    const missing = await readPidFile(join(dir, "none.pid"));
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.error : "", /^cannot open pid file ".*none\.pid": /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PidFile writes, moves and removes only its own pid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = join(dir, "logs", "a.pid");
    const pid = await PidFile.create(first, 4242);
    assert.equal(await Deno.readTextFile(first), "4242\n");
    const second = join(dir, "run", "b.pid");
    await pid.moveTo(second);
    assert.equal(pid.current, second);
    await assert.rejects(Deno.stat(first), Deno.errors.NotFound);
    assert.equal(await Deno.readTextFile(second), "4242\n");
    // Another server wrote the file since: it is left alone.
    await Deno.writeTextFile(second, "77\n");
    await pid.remove();
    assert.equal(await Deno.readTextFile(second), "77\n");
    await Deno.writeTextFile(second, "4242\n");
    await pid.remove();
    await assert.rejects(Deno.stat(second), Deno.errors.NotFound);
    await Deno.writeTextFile(join(dir, "file"), "");
    await assert.rejects(
      PidFile.create(join(dir, "file", "x.pid"), 1),
      (e: Error) => e.message.startsWith(`cannot write pid file "${join(dir, "file", "x.pid")}": `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
