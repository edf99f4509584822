/**
 * `webserv -s stop|quit|reload|reopen` against the real server in a process of its own: the pid
 * file it writes, the signal each command sends, and what the server does on it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");
const MAIN = join(ROOT, "main.ts");
/** Every wait of these tests fails after this long instead of hanging. */
const DEADLINE_MS = 20_000;

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** A server process and its stderr, read as it comes. */
class Served {
  #text = "";
  readonly #reader: ReadableStreamDefaultReader<string>;
  #ended = false;

  private constructor(readonly child: Deno.ChildProcess, readonly dir: string) {
    this.#reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Writes `files` under a new directory and serves its `t.conf`; resolves once it listens. */
  static async start(
    conf: string,
    files: Record<string, string>,
  ): Promise<Served & { port: number }> {
    const dir = await Deno.makeTempDir({ prefix: "webserv-signals-" });
    for (const [path, content] of Object.entries({ ...files, "t.conf": conf })) {
      await Deno.mkdir(join(dir, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, path), content);
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, join(dir, "t.conf")],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const served = new Served(child, dir);
    try {
      const port = Number((await served.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
      return Object.assign(served, { port });
    } catch (e) {
      await served.close();
      throw e;
    }
  }

  get conf(): string {
    return join(this.dir, "t.conf");
  }

  /** Reads stderr until `pattern` matches what came since the last match; fails at the deadline. */
  async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const m = pattern.exec(this.#text);
      if (m !== null) {
        this.#text = this.#text.slice(m.index + m[0].length);
        return m;
      }
      assert.ok(!this.#ended, `server exited without printing ${pattern}: ${this.#text}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no ${pattern} within ${DEADLINE_MS} ms: ${this.#text}`)),
          deadline - Date.now(),
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), late]);
        if (done) this.#ended = true;
        else this.#text += value;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Resolves to the exit code; fails at the deadline. */
  async exited(): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("server did not exit")), DEADLINE_MS);
    });
    try {
      return (await Promise.race([this.child.status, late])).code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills what is left, drains stderr, removes the directory. */
  async close(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.#reader.cancel().catch(() => {});
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true });
  }
}

/**
 * A POST whose body is sent in two halves: the request is in progress between them. Resolves once
 * the server is receiving the body (its temporary file appeared in `store`).
 */
async function startSlowUpload(port: number, store: string): Promise<{
  finish(): Promise<string>;
  conn: Deno.TcpConn;
}> {
  const watcher = Deno.watchFs(store);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const timer = setTimeout(() => watcher.close(), DEADLINE_MS);
  try {
    await conn.write(
      enc.encode("POST /up/slow.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nfirst"),
    );
    let created = false;
    for await (const event of watcher) {
      if (event.kind === "create") {
        created = true;
        break;
      }
    }
    assert.ok(created, `no temporary file in "${store}" within ${DEADLINE_MS} ms`);
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
  return {
    conn,
    async finish() {
      await conn.write(enc.encode("-half"));
      return await readAll(conn);
    },
  };
}

/** Reads until the peer closes, or what came before a reset; bounded by the deadline. */
async function readAll(conn: Deno.TcpConn): Promise<string> {
  const timer = setTimeout(() => conn.close(), DEADLINE_MS);
  let text = "";
  const dec = new TextDecoder();
  const buf = new Uint8Array(16384);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BadResource)) {
      throw e;
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // Closed by the timer.
  }
  return text + dec.decode();
}

const SITE = {
  "a/index.html": "site a\n",
  "b/index.html": "site b\n",
  "up/.keep": "",
};

function config(root: string): string {
  return `error_log error.log info;
access_log access.log;
server {
  listen 127.0.0.1:0;
  root ${root};
  location /up/ { allow_methods POST; upload_store up; }
}
`;
}

Deno.test("the server writes its pid file beside the config, and removes it when it exits", async () => {
  const s = await Served.start(config("a"), SITE);
  try {
    const pidFile = join(s.dir, "logs", "webserv.pid");
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    assert.ok(Number.isInteger(pid) && pid > 1, `pid file holds "${pid}"`);
    // The pid is the serving process's: -s signals it, and it answers.
    Deno.kill(pid, "SIGHUP");
    await s.waitFor(/configuration .* reloaded/);
    const stop = await run(["-s", "stop", s.conf]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await s.exited(), 0);
    await assert.rejects(Deno.stat(pidFile), Deno.errors.NotFound);
  } finally {
    await s.close();
  }
});

Deno.test("-s reload serves the edited config; -s reopen writes to a new log after a move", async () => {
  const s = await Served.start(config("a"), SITE);
  try {
    const get = async () => await (await fetch(`http://127.0.0.1:${s.port}/`)).text();
    assert.equal(await get(), "site a\n");
    await Deno.writeTextFile(
      s.conf,
      config("b").replace("listen 127.0.0.1:0", `listen 127.0.0.1:${s.port}`),
    );
    const reload = await run(["-s", "reload", s.conf]);
    assert.equal(reload.code, 0, reload.stderr);
    await s.waitFor(/configuration .* reloaded/);
    assert.equal(await get(), "site b\n");
    // logrotate: move the file away, then ask for a reopen.
    await Deno.rename(join(s.dir, "access.log"), join(s.dir, "access.log.1"));
    const reopen = await run(["-s", "reopen", s.conf]);
    assert.equal(reopen.code, 0, reopen.stderr);
    await s.waitFor(/log files reopened/);
    const res = await fetch(`http://127.0.0.1:${s.port}/after-reopen`);
    await res.body?.cancel();
    // A graceful quit writes what the logs hold before it exits.
    assert.equal((await run(["-s", "quit", s.conf])).code, 0);
    assert.equal(await s.exited(), 0);
    const old = await Deno.readTextFile(join(s.dir, "access.log.1"));
    const fresh = await Deno.readTextFile(join(s.dir, "access.log"));
    assert.match(old, /"GET \/ HTTP\/1\.1" 200/);
    assert.doesNotMatch(old, /after-reopen/);
    assert.match(fresh, /"GET \/after-reopen HTTP\/1\.1" 404/);
    assert.doesNotMatch(fresh, /"GET \/ HTTP/);
  } finally {
    await s.close();
  }
});

Deno.test("-s quit lets a request in progress finish, then exits 0", async () => {
  const s = await Served.start(config("a"), SITE);
  try {
    const upload = await startSlowUpload(s.port, join(s.dir, "up"));
    const quit = await run(["-s", "quit", s.conf]);
    assert.equal(quit.code, 0, quit.stderr);
    await s.waitFor(/shutting down gracefully/);
    // New connections are refused meanwhile.
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: s.port }));
    const answer = await upload.finish();
    assert.match(answer, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.equal(await s.exited(), 0);
    assert.equal(await Deno.readTextFile(join(s.dir, "up", "slow.txt")), "first-half");
  } finally {
    await s.close();
  }
});

Deno.test("-s stop exits at once, cutting a request in progress", async () => {
  const s = await Served.start(config("a"), SITE);
  try {
    const upload = await startSlowUpload(s.port, join(s.dir, "up"));
    const started = Date.now();
    const stop = await run(["-s", "stop", s.conf]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await s.exited(), 0);
    // The fast stop waits at most a second for what is in progress (plus the process's exit).
    assert.ok(Date.now() - started < 10_000);
    // The request never got an answer: its connection is gone.
    assert.equal(await readAll(upload.conn), "");
    await assert.rejects(Deno.stat(join(s.dir, "up", "slow.txt")), Deno.errors.NotFound);
  } finally {
    await s.close();
  }
});

Deno.test({
  name: "-s stop kills a CGI script in progress: nothing outlives the server",
  ignore: !(await Deno.stat("/usr/bin/python3").then(() => true, () => false)),
  async fn() {
    const script = `import os, sys, time
with open(os.path.join(os.path.dirname(__file__), "cgi.pid"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
`;
    const s = await Served.start(
      config("a").replace(
        "location /up/",
        "location /cgi/ { cgi .py /usr/bin/python3; }\n  location /up/",
      ),
      { ...SITE, "a/cgi/sleep.py": script },
    );
    try {
      const watcher = Deno.watchFs(join(s.dir, "a", "cgi"));
      const timer = setTimeout(() => watcher.close(), DEADLINE_MS);
      const request = fetch(`http://127.0.0.1:${s.port}/cgi/sleep.py`).then(
        (res) => res.body?.cancel(),
        () => {},
      );
      let pid = NaN;
      for await (const event of watcher) {
        if (!event.paths.some((p) => p.endsWith("cgi.pid"))) continue;
        const text = await Deno.readTextFile(join(s.dir, "a", "cgi", "cgi.pid")).catch(() => "");
        if (/^\d+$/.test(text)) {
          pid = Number(text);
          break;
        }
      }
      clearTimeout(timer);
      watcher.close();
      assert.ok(pid > 0, "the script did not start");
      assert.equal((await run(["-s", "stop", s.conf])).code, 0);
      assert.equal(await s.exited(), 0);
      await request;
      // Killed (SIGKILL to its group) and reaped: no such process, or at most a zombie.
      const state = await Deno.readTextFile(`/proc/${pid}/stat`).then(
        (t) => t.split(") ")[1]?.[0] ?? "?",
        () => "gone",
      );
      assert.ok(state === "gone" || state === "Z", `the script is still running (state ${state})`);
    } finally {
      await s.close();
    }
  },
});

Deno.test("-s reports a missing pid file, a malformed one, a dead pid and a bad name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-signals-" });
  try {
    const conf = join(dir, "t.conf");
    const pidFile = join(dir, "run", "w.pid");
    await Deno.writeTextFile(conf, "pid run/w.pid;\nserver { listen 127.0.0.1:0; }\n");
    const missing = await run(["-s", "reload", conf]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`^webserv: cannot open pid file "${pidFile}": `));
    await Deno.mkdir(join(dir, "run"));
    await Deno.writeTextFile(pidFile, "-1\n");
    const bad = await run(["-s", "reload", conf]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim(), `webserv: invalid PID number "-1" in "${pidFile}"`);
    // A process that has exited (this one, reaped).
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    await Deno.writeTextFile(pidFile, `${gone.pid}\n`);
    const dead = await run(["-s", "stop", conf]);
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, new RegExp(`^webserv: kill\\(${gone.pid}, SIGTERM\\) failed: `));
    const bogus = await run(["-s", "bogus", conf]);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /^invalid option: "-s bogus"/);
    const none = await run(["-s"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^option "-s" requires parameter/);
    // A broken config: nothing is signalled, and the error is the config's.
    await Deno.writeTextFile(conf, "pid;\n");
    const broken = await run(["-s", "quit", conf]);
    assert.equal(broken.code, 1);
    assert.equal(
      broken.stderr.trim(),
      `webserv: ${conf}:1: invalid number of arguments in "pid" directive`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a pid file that cannot be written stops the start with its reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-signals-" });
  try {
    const conf = join(dir, "t.conf");
    // A regular file where the pid file's directory should be.
    await Deno.writeTextFile(join(dir, "blocker"), "");
    await Deno.writeTextFile(conf, "pid blocker/w.pid;\nserver { listen 127.0.0.1:0; }\n");
    const res = await run([conf]);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      new RegExp(`webserv: cannot write pid file "${join(dir, "blocker", "w.pid")}": `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
