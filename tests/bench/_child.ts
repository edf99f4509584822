/**
 * Child processes for the bench: each in its own process group (so a server's workers die with it),
 * remembered until they exit so that `killAll()` can end every one of them, also on Ctrl-C.
 */
import { RUNTIME_ENV } from "../../lib/cli/runtime_env.ts";

const live = new Set<Deno.ChildProcess>();
/** Set by `killAll()`: no child may start after it (a run loop may still be unwinding). */
let closed = false;

/** Spawn options the bench uses; stdin is always closed. */
export interface SpawnOptions {
  stdout: "piped" | "null";
  stderr: "piped" | "null";
  cwd?: string;
}

/**
 * Starts `cmd args` as the leader of a new process group and tracks it until it exits. Every child
 * gets the runtime settings webserv needs (RUNTIME_ENV): main.ts would otherwise re-execute itself
 * with them, and the pid measured (RSS, descriptors, scripts) would be its parent's.
 */
export function spawnGroup(cmd: string, args: string[], options: SpawnOptions): Deno.ChildProcess {
  if (closed) throw new Error(`Not starting "${cmd}": shutting down`);
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: RUNTIME_ENV,
    stdin: "null",
    stdout: options.stdout,
    stderr: options.stderr,
    detached: true,
  }).spawn();
  live.add(child);
  child.status.then(() => live.delete(child));
  return child;
}

function signalGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Ends a child's whole process group: SIGTERM (so a master process reaps its workers), SIGKILL
 * after `graceMs`; resolves once the child has been reaped.
 */
export async function killGroup(child: Deno.ChildProcess, graceMs = 2000): Promise<void> {
  signalGroup(child, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
  const done = await Promise.race([child.status.then(() => true), late.then(() => false)]);
  clearTimeout(timer);
  // Also the workers that outlived their leader.
  signalGroup(child, "SIGKILL");
  if (!done) await child.status;
}

/** Kills every child still running, and refuses to start any more. */
export async function killAll(): Promise<void> {
  closed = true;
  await Promise.all([...live].map(killGroup));
}

/** True when `name` is an executable on PATH (or an executable path). */
export async function isInstalled(name: string): Promise<boolean> {
  const dirs = name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
  for (const dir of dirs) {
    try {
      const info = await Deno.stat(dir === "" ? name : `${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

/** A listening child: its port and what it has printed on stderr (the last 16 KiB). */
export interface Listening {
  port: number;
  stderr(): string;
}

const KEEP = 16384;

/**
 * Reads a child's piped stderr until a line says `listening on http://host:PORT/`; keeps draining
 * (and remembering the tail of) stderr afterwards so the child never blocks on a full pipe. Throws
 * when the child exits first or `timeoutMs` passes, with what it printed.
 */
export async function waitForListening(
  child: Deno.ChildProcess,
  name: string,
  timeoutMs = 15_000,
): Promise<Listening> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port: number | null = null;
  const found = Promise.withResolvers<number>();
  const timer = setTimeout(
    () => found.reject(new Error(`"${name}" printed no listening line in ${timeoutMs} ms`)),
    timeoutMs,
  );
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text = (text + value).slice(-KEEP);
      const m: RegExpExecArray | null = port === null
        ? /listening on http:\/\/[^\s/]+:(\d+)\//.exec(text)
        : null;
      if (m !== null) found.resolve(port = Number(m[1]));
    }
    found.reject(new Error(`"${name}" exited before listening: "${text.trim()}"`));
  })().catch((e) => found.reject(e));
  try {
    return { port: await found.promise, stderr: () => text };
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `url` until it answers 200 (the body is dropped) or `stop` is aborted. */
export async function waitForHttp(
  url: string,
  stop?: AbortSignal,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline && !stop?.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`"${url}" did not answer 200 in ${timeoutMs} ms (${last})`);
}

/** The resident set size now and at its peak, in MiB, from /proc/<pid>/status. */
export async function readRss(pid: number): Promise<{ rssMiB: number; peakMiB: number } | null> {
  let status: string;
  try {
    status = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  const rss = kib("VmRSS");
  const peak = kib("VmHWM");
  if (Number.isNaN(rss)) return null;
  return { rssMiB: rss / 1024, peakMiB: Number.isNaN(peak) ? rss / 1024 : peak / 1024 };
}

/**
 * Runs `fn` with a new temporary directory; afterwards, or on Ctrl-C / SIGTERM (exit 130), kills
 * every child started with spawnGroup and removes the directory.
 */
export async function withScratchDir<T>(
  prefix: string,
  label: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await killAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const interrupt = () => {
    console.error(`\n${label}: interrupted, stopping`);
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  try {
    return await fn(dir);
  } finally {
    Deno.removeSignalListener("SIGINT", interrupt);
    Deno.removeSignalListener("SIGTERM", interrupt);
    await cleanup();
  }
}
