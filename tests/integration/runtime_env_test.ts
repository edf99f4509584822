/**
 * main.ts started without DENO_TOKIO_EVENT_INTERVAL re-executes itself with it: the process that
 * serves has the variable, signals sent to the first process reach it, its exit code comes back,
 * and it does not outlive a parent killed outright.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { NO_REEXEC, RUNTIME_ENV } from "../../lib/cli/runtime_env.ts";

const MAIN = join(import.meta.dirname!, "..", "..", "main.ts");
const HAS_PROC = await Deno.stat("/proc/self/environ").then(() => true, () => false);

/** This process's environment without the runtime's variables and the re-exec guard. */
function bareEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of [...Object.keys(RUNTIME_ENV), NO_REEXEC]) delete env[name];
  return env;
}

/** The pids whose parent is `pid` (from /proc/<pid>/stat's fourth field). */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === pid && fields[0] !== "Z") found.push(Number(entry.name));
  }
  return found;
}

async function environOf(pid: number): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(`/proc/${pid}/environ`);
  const env = new Map<string, string>();
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

async function alive(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

/** Polls `check` every 50 ms, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return await check();
}

interface Started {
  child: Deno.ChildProcess;
  port: number;
  /** Reads stderr until `pattern` matches (within 20 s); what it read. */
  waitFor(pattern: RegExp): Promise<string>;
  dir: string;
  conf: string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-reexec-" });
  await Deno.writeTextFile(join(dir, "index.html"), "up\n");
  const conf = join(dir, "t.conf");
  await Deno.writeTextFile(conf, `access_log off;\nserver { listen 127.0.0.1:0; root ${dir}; }\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, conf],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const waitFor = async (pattern: RegExp) => {
    const bound = setTimeout(() => reader.cancel(), 20_000);
    try {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        assert.ok(!done, `server exited before saying ${pattern}: ${text}`);
        text += value;
      }
      const seen = text;
      text = "";
      return seen;
    } finally {
      clearTimeout(bound);
    }
  };
  const seen = await waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen)![1]);
  // Keep stderr drained so that the server never blocks on it.
  return { child, port, waitFor, dir, conf };
}

async function stop(s: Started, pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await s.child.status;
  await s.child.stderr.cancel().catch(() => {});
  await Deno.remove(s.dir, { recursive: true });
}

Deno.test({
  name: "main.ts without DENO_TOKIO_EVENT_INTERVAL serves from a child that has it",
  ignore: !HAS_PROC,
  async fn() {
    const s = await start(bareEnv());
    let server = 0;
    try {
      const children = await childrenOf(s.child.pid);
      assert.equal(children.length, 1, `one server process under ${s.child.pid}`);
      server = children[0]!;
      const env = await environOf(server);
      for (const [name, value] of Object.entries(RUNTIME_ENV)) assert.equal(env.get(name), value);
      assert.equal(env.get(NO_REEXEC), String(s.child.pid));
      assert.equal(await (await fetch(`http://127.0.0.1:${s.port}/`)).text(), "up\n");
      // SIGHUP to the first process reaches the server: it reloads.
      s.child.kill("SIGHUP");
      await s.waitFor(/configuration .* reloaded/);
      // SIGTERM: the server shuts down gracefully, and its exit code is the first process's.
      s.child.kill("SIGTERM");
      const status = await s.child.status;
      assert.equal(status.code, 0);
      assert.ok(await until(async () => !(await alive(server)), 5000), "the server has exited");
    } finally {
      await stop(s, [server, s.child.pid]);
    }
  },
});

Deno.test({
  name: "main.ts with DENO_TOKIO_EVENT_INTERVAL set serves in its own process",
  ignore: !HAS_PROC,
  async fn() {
    const s = await start({ ...bareEnv(), ...RUNTIME_ENV });
    try {
      assert.deepEqual(await childrenOf(s.child.pid), []);
      assert.equal(await (await fetch(`http://127.0.0.1:${s.port}/`)).text(), "up\n");
    } finally {
      s.child.kill("SIGTERM");
      await stop(s, []);
    }
  },
});

Deno.test({
  name: "a re-executed server shuts down when its parent is killed outright",
  ignore: !HAS_PROC,
  async fn() {
    const s = await start(bareEnv());
    let server = 0;
    try {
      server = (await childrenOf(s.child.pid))[0]!;
      assert.ok(server > 0);
      s.child.kill("SIGKILL");
      await s.child.status;
      assert.ok(await until(async () => !(await alive(server)), 5000), "the server has exited");
    } finally {
      await stop(s, [server]);
    }
  },
});

Deno.test("the re-executed server's exit code is the first process's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-reexec-" });
  try {
    const conf = join(dir, "bad.conf");
    await Deno.writeTextFile(conf, "server { lisen 1; }\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, conf],
      env: bareEnv(),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    // Said once, by the server: the first process only waits for it.
    const text = new TextDecoder().decode(out.stderr);
    assert.equal(text.match(/unknown directive "lisen"/g)?.length, 1, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
