/**
 * `worker_processes 2`: the real program as a supervisor with two workers sharing one port
 * (SO_REUSEPORT): both answer, a killed worker is replaced, SIGHUP reloads every worker, SIGTERM
 * stops them all and the supervisor exits 0 with none left.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { rawRequest } from "./_client.ts";

const MAIN = join(import.meta.dirname!, "..", "..", "main.ts");
const DEADLINE_MS = 20_000;

/** The supervisor's stderr, line by line, and a way to wait for a line. */
class Lines {
  readonly all: string[] = [];
  #waiters: [RegExp, number, () => void][] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      let pending = "";
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        pending += text;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) this.#add(line);
      }
    })();
  }

  #add(line: string): void {
    this.all.push(line);
    for (const waiter of [...this.#waiters]) {
      if (this.count(waiter[0]) >= waiter[1]) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter[2]();
      }
    }
  }

  count(pattern: RegExp): number {
    return this.all.filter((l) => pattern.test(l)).length;
  }

  /** Resolves once `count` lines match `pattern`; fails after DEADLINE_MS. */
  async until(pattern: RegExp, count = 1): Promise<void> {
    if (this.count(pattern) >= count) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push([pattern, count, resolve])),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no ${count}× ${pattern} in:\n${this.all.join("\n")}`)),
            DEADLINE_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Asks on new connections until `want` says enough (at most 400 requests). `reloading`: a
 * connection closed before any answer is asked again, as a client retries a GET: a worker that
 * reloads closes the connections of the old configuration that have not sent a request yet (so
 * does nginx), and one may have been accepted just as its request was sent.
 */
async function ask(
  port: number,
  want: (bodies: string[]) => boolean,
  reloading = false,
): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 400 && !want(bodies); i++) {
    let res;
    try {
      res = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    } catch (e) {
      if (
        reloading && /^Connection closed before a response head: ""$/.test((e as Error).message)
      ) {
        continue;
      }
      throw e;
    }
    assert.equal(res.status, 200, res.text);
    bodies.push(res.text);
  }
  assert.ok(want(bodies), `not after ${bodies.length} requests: ${[...new Set(bodies)]}`);
  return bodies;
}

const distinct = (bodies: string[], prefix: string) =>
  new Set(bodies.filter((b) => b.startsWith(prefix)).map((b) => b.slice(prefix.length)));

Deno.test("worker_processes 2: two workers on one port, replaced when killed, reloaded, stopped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-workers-" });
  const conf = join(dir, "webserv.conf");
  const config = (answer: string) =>
    `worker_processes 2;\npid ${join(dir, "webserv.pid")};\nerror_log stderr;\n` +
    `server {\n  listen 127.0.0.1:0;\n  access_log off;\n  return 200 "${answer} $pid";\n}\n`;
  await Deno.writeTextFile(conf, config("v1"));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, conf],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = new Lines(child.stderr);
  let exited = false;
  const status = child.status.finally(() => exited = true);
  try {
    await lines.until(/listening on http:\/\/127\.0\.0\.1:\d+\//, 2);
    const ports = new Set(lines.all.map((l) => /listening on http:\/\/[^:]+:(\d+)\//.exec(l)?.[1]));
    ports.delete(undefined);
    assert.equal(ports.size, 1, "both workers listen on one port");
    const port = Number([...ports][0]);

    const first = distinct(await ask(port, (b) => distinct(b, "v1 ").size === 2), "v1 ");
    assert.ok(!first.has(String(child.pid)), "the supervisor serves nothing itself");

    // A worker killed outright is replaced; the port keeps answering.
    const [victim] = [...first];
    Deno.kill(Number(victim), "SIGKILL");
    await lines.until(/worker process \d+ exited/);
    await lines.until(/listening on http/, 3);
    const after = distinct(await ask(port, (b) => distinct(b, "v1 ").size === 2), "v1 ");
    assert.ok(!after.has(victim!), `${victim} still answers`);

    // SIGHUP reaches every worker: each serves the new configuration.
    await Deno.writeTextFile(conf, config("v2"));
    Deno.kill(child.pid, "SIGHUP");
    await ask(port, (b) => distinct(b, "v2 ").size === 2, true);

    // SIGTERM: every worker stops, then the supervisor exits 0.
    Deno.kill(child.pid, "SIGTERM");
    const done = await Promise.race([
      status,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), DEADLINE_MS)),
    ]);
    assert.ok(done !== null, `still running:\n${lines.all.join("\n")}`);
    assert.equal(done.code, 0, lines.all.join("\n"));
    for (const pid of [...after]) {
      assert.equal(await Deno.stat(`/proc/${pid}`).then(() => true, () => false), false, pid);
    }
  } finally {
    if (!exited) {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker_processes 2: workers that cannot listen stop the supervisor with an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-workers-" });
  // Held without SO_REUSEPORT: the workers cannot join it.
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const conf = join(dir, "webserv.conf");
    await Deno.writeTextFile(
      conf,
      `worker_processes 2;\npid ${join(dir, "webserv.pid")};\n` +
        `server {\n  listen 127.0.0.1:${taken.addr.port};\n}\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, conf],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(DEADLINE_MS),
    }).output();
    const said = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0, said);
    assert.match(said, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken.addr.port}`));
    assert.doesNotMatch(said, /starting another/);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});
