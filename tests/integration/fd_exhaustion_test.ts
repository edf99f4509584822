/**
 * Running out of file descriptors: the server runs as a real process under `prlimit --nofile=256`
 * and 1000 clients connect at once. It must not crash or stop accepting for good: once the clients
 * close, it answers again, and SIGTERM still ends it with exit code 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { waitForListening } from "../bench/_child.ts";
import { rawRequest } from "./_client.ts";
import { RUNTIME_ENV } from "../../lib/cli/runtime_env.ts";

const MAIN = join(import.meta.dirname!, "..", "..", "main.ts");
const CLIENTS = 1000;
const NOFILE = 256;
const HAS_PRLIMIT = await Deno.stat("/usr/bin/prlimit").then(() => true, () => false);

interface Served {
  child: Deno.ChildProcess;
  port: number;
  stderr(): string;
  dir: string;
}

/** Starts `main.ts` on a config of its own, with at most NOFILE descriptors. */
async function serve(extra: string): Promise<Served> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-fd-" });
  await Deno.mkdir(join(dir, "site"));
  await Deno.writeTextFile(join(dir, "site", "index.html"), "home\n");
  const conf = join(dir, "test.conf");
  await Deno.writeTextFile(
    conf,
    `access_log off;\n${extra}\nserver { listen 127.0.0.1:0; root site; keepalive_timeout 30s; }\n`,
  );
  const child = new Deno.Command("prlimit", {
    args: [`--nofile=${NOFILE}:${NOFILE}`, Deno.execPath(), "run", "-A", MAIN, conf],
    // The runtime settings main.ts would re-execute itself for: this process is the server.
    env: RUNTIME_ENV,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const { port, stderr } = await waitForListening(child, "webserv");
    return { child, port, stderr, dir };
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
}

/** SIGTERM, then the exit status; the temporary directory is removed. */
async function stop(s: Served): Promise<Deno.CommandStatus> {
  try {
    s.child.kill("SIGTERM");
  } catch {
    // Already gone: the status says how.
  }
  const status = await s.child.status;
  await Deno.remove(s.dir, { recursive: true });
  return status;
}

/** Opens up to `n` connections at once; those the kernel cannot complete within 2 s are given up. */
async function openMany(port: number, n: number): Promise<Deno.TcpConn[]> {
  const results = await Promise.allSettled(
    Array.from(
      { length: n },
      () => Deno.connect({ hostname: "127.0.0.1", port, signal: AbortSignal.timeout(2000) }),
    ),
  );
  return results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
}

/** Asks for / on a new connection until it gets 200 (bounded polling); the attempts it took. */
async function answersAgain(port: number, attempts: number): Promise<number> {
  let last = "";
  for (let i = 1; i <= attempts; i++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const res = await Promise.race([
        rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        new Promise<never>((_, reject) =>
          timer = setTimeout(() => reject(new Error("no answer in 1 s")), 1000)
        ),
      ]);
      if (res.status === 200 && res.text === "home\n") return i;
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e);
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`No 200 after ${attempts} attempts (last: ${last})`);
}

Deno.test({
  name: "1000 clients against 256 descriptors: the server survives EMFILE and answers after",
  ignore: !HAS_PRLIMIT,
  async fn() {
    const s = await serve("");
    try {
      const conns = await openMany(s.port, CLIENTS);
      assert.ok(conns.length > NOFILE, `only ${conns.length} connections opened`);
      // Every accepted connection may send a request; none of this may crash the server.
      await Promise.allSettled(
        conns.map((c) => c.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))),
      );
      // The server really ran out: every descriptor it may have is in use.
      const held = await openFds(s.child.pid);
      console.log(`fd exhaustion: ${conns.length} clients connected, server holds ${held} fds`);
      assert.ok(held >= NOFILE - 8, `the server held only ${held} descriptors`);
      for (const c of conns) c.close();
      const attempts = await answersAgain(s.port, 100);
      console.log(`fd exhaustion: answered 200 again after ${attempts} attempt(s)`);
      const fds = await openFds(s.child.pid);
      assert.ok(fds < 64, `${fds} descriptors still open after every client left`);
    } finally {
      const status = await stop(s);
      assert.equal(status.code, 0, `exit ${status.code} ${status.signal ?? ""}: ${s.stderr()}`);
    }
  },
});

Deno.test({
  name: "with worker_connections below the descriptor limit the excess gets 503, not EMFILE",
  ignore: !HAS_PRLIMIT,
  async fn() {
    const s = await serve("worker_connections 100;");
    try {
      const conns = await openMany(s.port, 400);
      const decoder = new TextDecoder();
      const answers = await Promise.all(conns.map(async (c) => {
        try {
          await c.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
          const buf = new Uint8Array(512);
          const n = await c.read(buf);
          return n === null ? "closed" : decoder.decode(buf.subarray(0, n)).slice(9, 12);
        } catch (e) {
          return e instanceof Error ? e.name : "error";
        }
      }));
      for (const c of conns) c.close();
      const count = (status: string) => answers.filter((a) => a === status).length;
      assert.equal(count("200"), 100, `answers: ${JSON.stringify(tally(answers))}`);
      assert.equal(count("503"), conns.length - 100, `answers: ${JSON.stringify(tally(answers))}`);
      assert.doesNotMatch(s.stderr(), /EMFILE|Too many open files/);
      await answersAgain(s.port, 100);
    } finally {
      const status = await stop(s);
      assert.equal(status.code, 0, `exit ${status.code} ${status.signal ?? ""}: ${s.stderr()}`);
    }
  },
});

/** The number of descriptors a process has open. */
async function openFds(pid: number): Promise<number> {
  return (await Array.fromAsync(Deno.readDir(`/proc/${pid}/fd`))).length;
}

function tally(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}
