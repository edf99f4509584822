/**
 * `worker_processes N`: several processes serve the same addresses, each with its own event loop
 * on its own core; the kernel spreads new connections among them (SO_REUSEPORT, Linux). The
 * process started is then a supervisor that only starts the workers (its own command line again,
 * with WORKER set), passes signals on to them (SIGHUP: each reloads; SIGTERM, SIGINT, SIGQUIT:
 * each stops; SIGUSR1/SIGUSR2: each reopens its logs), starts a worker again when one dies, and
 * exits once they have all stopped.
 *
 * An address with port 0 gets its port from the supervisor, which binds it first (SO_REUSEPORT)
 * and tells the workers (PORTS): every worker then listens on the same port. The supervisor's own
 * socket is closed when the last worker says it listens, before that line is passed on; a
 * connection the kernel gave it before then is reset, so port 0 is for tests, not for a site.
 */
import { bindingKey, bindings } from "../server/bindings.ts";
import type { Config } from "../config/types.ts";
import { exitCodeOf, FORWARDED } from "./runtime_env.ts";

/** Set in a worker to its number (0, 1, …): it serves, and never starts workers itself. */
export const WORKER = "WEBSERV_WORKER";
/** The ports the supervisor chose for the addresses with port 0: JSON, binding key → port. */
export const PORTS = "WEBSERV_PORTS";

/** A worker that dies is started again after this long (so a crash loop costs little). */
const RESPAWN_MS = 1000;
/** What a worker prints once it listens (main.ts), one line per address. */
const LISTENING = /listening on \S+/;

/**
 * How many workers `worker_processes` makes (`auto`: one per core), and a notice when there must
 * be one: sharing a port (SO_REUSEPORT as Deno offers it) is Linux's only.
 */
export function workerCount(
  setting: number | "auto",
  os: string = Deno.build.os,
  cores: number = navigator.hardwareConcurrency,
): { count: number; notice: string | null } {
  const wanted = setting === "auto" ? Math.max(1, cores) : setting;
  if (wanted > 1 && os !== "linux") {
    return {
      count: 1,
      notice: `"worker_processes ${setting}" needs Linux (SO_REUSEPORT): serving from one process`,
    };
  }
  return { count: wanted, notice: null };
}

/** In a worker: the ports the supervisor chose, put in place of port 0 in the configuration. */
export function applyWorkerPorts(config: Config, text: string | undefined): Config {
  if (text === undefined || text === "") return config;
  const ports = new Map<string, number>(Object.entries(JSON.parse(text) as Record<string, number>));
  return {
    ...config,
    servers: config.servers.map((server) => ({
      ...server,
      listen: server.listen.map((l) => {
        const port = l.port === 0 ? ports.get(bindingKey(l)) : undefined;
        return port === undefined ? l : { ...l, port };
      }),
    })),
  };
}

/** Binds every port-0 address of `config` (SO_REUSEPORT), for the workers to share. */
function reservePorts(config: Config): { ports: Record<string, number>; close(): void } {
  const held: Deno.Listener[] = [];
  const ports: Record<string, number> = {};
  try {
    for (const binding of bindings(config.servers)) {
      if (binding.addr.port !== 0) continue;
      const listener = Deno.listen({ hostname: binding.addr.host, port: 0, reusePort: true });
      held.push(listener);
      ports[bindingKey(binding.addr)] = (listener.addr as Deno.NetAddr).port;
    }
  } catch (e) {
    for (const listener of held) listener.close();
    throw e;
  }
  return {
    ports,
    close: () => {
      for (const listener of held.splice(0)) listener.close();
    },
  };
}

/** How to start a worker: this program's command line and environment. */
export interface WorkerCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Runs `count` workers until a stop signal has stopped them all; resolves with the exit code
 * (the first non-zero one of a worker that stopped when asked, else 0).
 */
export async function superviseWorkers(
  config: Config,
  count: number,
  start: WorkerCommand,
): Promise<number> {
  const reserved = reservePorts(config);
  const expected = bindings(config.servers).length;
  let stopping = false;
  let code = 0;
  const running = new Map<number, Deno.ChildProcess>();
  let listening = 0;
  const spawn = (n: number) => {
    const child = new Deno.Command(start.command, {
      args: start.args,
      env: { ...start.env, [WORKER]: String(n), [PORTS]: JSON.stringify(reserved.ports) },
      stdin: "null",
      stdout: "inherit",
      stderr: "piped",
    }).spawn();
    running.set(n, child);
    let listened = false;
    relay(child.stderr, () => {
      listened = true;
      if (++listening !== count * expected) return;
      // Every worker listens: the supervisor's own sockets for port 0 go now, before the line
      // that says so is passed on (a client that connects on seeing it must reach a worker).
      reserved.close();
    });
    child.status.then((status) => {
      running.delete(n);
      if (!stopping && !listened) {
        // It never served (a port taken, a file it cannot open): so would the next one. Stop.
        code = exitCodeOf(status) || 1;
        signalAll("SIGTERM");
      }
      if (stopping) {
        if (code === 0) code = exitCodeOf(status);
        if (running.size === 0) done.resolve();
        return;
      }
      console.error(
        `webserv: [alert] worker process ${child.pid} exited with code ${exitCodeOf(status)}; ` +
          `starting another in ${RESPAWN_MS / 1000}s`,
      );
      const timer = setTimeout(() => {
        if (!stopping) spawn(n);
        else if (running.size === 0) done.resolve();
      }, RESPAWN_MS);
      respawns.add(timer);
    });
  };
  const done = Promise.withResolvers<void>();
  const respawns = new Set<ReturnType<typeof setTimeout>>();
  // A signal for the workers; a stop signal also ends the supervision.
  const signalAll = (signal: Deno.Signal) => {
    if (signal === "SIGTERM" || signal === "SIGINT" || signal === "SIGQUIT") {
      stopping = true;
      for (const timer of respawns) clearTimeout(timer);
      if (running.size === 0) done.resolve();
    }
    for (const child of running.values()) {
      try {
        child.kill(signal);
      } catch {
        // Exited meanwhile: its status is handled above.
      }
    }
  };
  const listeners = FORWARDED.map((signal) => [signal, () => signalAll(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  try {
    for (let n = 0; n < count; n++) spawn(n);
    await done.promise;
  } finally {
    reserved.close();
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
  return code;
}

/** Copies a worker's stderr to the supervisor's, line by line, calling `onListening` per address. */
async function relay(stream: ReadableStream<Uint8Array>, onListening: () => void): Promise<void> {
  let pending = "";
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (LISTENING.test(line)) onListening();
        console.error(line);
      }
    }
  } finally {
    if (pending !== "") console.error(pending);
  }
}
