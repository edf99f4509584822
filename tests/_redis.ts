/**
 * A real `redis-server` for a test: on a free loopback port, nothing saved to disk, stopped and
 * removed afterwards. Redis cannot listen on port 0, so the port is one the kernel just handed a
 * listener of ours (closed again); if redis loses the race for it, another port is tried.
 */
import { isInstalled } from "./bench/_child.ts";

export const REDIS_SERVER = "redis-server";
export const redisInstalled = await isInstalled(REDIS_SERVER);
/** Why Redis tests are ignored here, for their names. */
export const REDIS_MISSING =
  `skipped: "${REDIS_SERVER}" is not installed (apt-get install redis-server)`;

const START_MS = 10_000;

export interface TestRedis {
  port: number;
  pid: number;
  /** `redis://127.0.0.1:<port>/0` */
  url: string;
  /** Stops the server (SIGKILL after 5 s) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts redis-server (with `requirepass` when given); resolves once it accepts connections. */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    const started = await tryStart(port, options.password);
    if (typeof started !== "string") return started;
    last = started;
  }
  throw new Error(`redis-server did not start: ${last}`);
}

/** One attempt on `port`: the running server, or what it printed before it gave up. */
async function tryStart(port: number, password?: string): Promise<TestRedis | string> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-redis-" });
  const child = new Deno.Command(REDIS_SERVER, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "notice",
      ...(password === undefined ? [] : ["--requirepass", password]),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) =>
    timer = setTimeout(() => resolve("late"), START_MS)
  );
  let ready = false;
  try {
    while (!ready) {
      const next = await Promise.race([reader.read(), late]);
      if (next === "late" || next.done) break;
      text += next.value;
      ready = text.includes("Ready to accept connections");
    }
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout so redis never blocks on a full pipe.
  const drained = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // Cancelled.
    }
  })();
  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Exited already.
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 5000);
      await child.status;
      clearTimeout(killer);
      await drained;
      await Deno.remove(dir, { recursive: true });
    })();
  if (!ready) {
    await stop();
    return text.trim().split("\n").slice(-3).join(" | ") || "no output";
  }
  const auth = password === undefined ? "" : `:${encodeURIComponent(password)}@`;
  return { port, pid: child.pid, url: `redis://${auth}127.0.0.1:${port}/0`, stop };
}

/** Sends one command with redis-cli-like framing over a raw socket; for tests that inspect Redis. */
export async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const enc = new TextEncoder();
    const parts = [`*${args.length}\r\n`];
    for (const arg of args) parts.push(`$${enc.encode(arg).length}\r\n${arg}\r\n`);
    await conn.write(enc.encode(parts.join("")));
    const buf = new Uint8Array(65536);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}
