/**
 * The environment the Deno runtime must start with, and the re-execution that provides it.
 *
 * `DENO_TOKIO_EVENT_INTERVAL=1` and `DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=64` flatten the latency
 * tail with many connections (../../README.md, Performance): without them, all pending socket
 * reads of the isolate are polled by one tokio task whose budget of 128 polls per turn parks the
 * other connections for 0.1–2 s (the first variable fixes it up to a few hundred connections, the
 * second beyond: p99 at -c1000 1.3 s → 38 ms). Deno reads them once, when it builds its runtime,
 * so a running program cannot set them for itself.
 * `deno task start` sets them in deno.json; any other start (`deno run main.ts`, the compiled
 * executable, a systemd unit without them) is re-executed here with the same command line and
 * the variables added. The parent then only forwards signals to the server and exits with its code.
 */

/** What the runtime must find in its environment at start-up. */
export const RUNTIME_ENV: Readonly<Record<string, string>> = Object.freeze({
  DENO_TOKIO_EVENT_INTERVAL: "1",
  DENO_TOKIO_MAX_IO_EVENTS_PER_TICK: "64",
});

/**
 * Set in a re-executed server (to its parent's pid): never re-execute again. Set by hand (to
 * anything) it turns the re-execution off.
 */
export const NO_REEXEC = "WEBSERV_NO_REEXEC";

/** Signals the parent passes on to the server (nginx's set, for a supervisor to send). */
export const FORWARDED: readonly Deno.Signal[] = [
  "SIGHUP",
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
];

/** Options that serve nothing (a check, the help, a signal to a running server): no re-exec. */
const SERVES_NOTHING = new Set(["-t", "--test", "-h", "--help", "-V", "--version", "-s"]);

/** How to start the server again. */
export interface Reexec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** What {@linkcode planReexec} decides from. */
export interface ReexecFacts {
  /** The variables of RUNTIME_ENV and NO_REEXEC as found (undefined: not set). */
  env: Record<string, string | undefined>;
  /** The program's own arguments (Deno.args). */
  args: readonly string[];
  /** This process's whole command line (/proc/self/cmdline), or null where there is none. */
  cmdline: readonly string[] | null;
  /** Deno.execPath(). */
  execPath: string;
  /** The main module as a path, when it is a file (Deno.mainModule). */
  mainPath: string | null;
  /** `--allow-*` flags for the permissions granted now (used without a cmdline). */
  permissionFlags: readonly string[];
  pid: number;
}

/**
 * The command that starts this program again with RUNTIME_ENV, or null when no re-exec is
 * needed (the variables are set, NO_REEXEC is set, or the arguments ask for no server).
 *
 * The command line is the process's own (`deno run -A main.ts conf`, `./webserv conf`) with its
 * first word replaced by the executable's path. Without /proc it is rebuilt: a compiled
 * executable takes its arguments; `deno` gets `run`, the permissions granted now, the unstable
 * API the listener needs, the main module and the arguments.
 */
export function planReexec(facts: ReexecFacts): Reexec | null {
  if (facts.env[NO_REEXEC] !== undefined) return null;
  if (Object.keys(RUNTIME_ENV).every((name) => facts.env[name] !== undefined)) return null;
  if (facts.args.some((arg) => SERVES_NOTHING.has(arg))) return null;
  return {
    command: facts.execPath,
    args: commandArgs(facts),
    env: { ...RUNTIME_ENV, [NO_REEXEC]: String(facts.pid) },
  };
}

/** The arguments that start this program again, after the executable (see planReexec). */
export function commandArgs(facts: ReexecFacts): string[] {
  if (facts.cmdline !== null && facts.cmdline.length > 0) return facts.cmdline.slice(1);
  if (facts.mainPath !== null && /^deno(\.exe)?$/i.test(basename(facts.execPath))) {
    return ["run", ...facts.permissionFlags, "--unstable-net", facts.mainPath, ...facts.args];
  }
  return [...facts.args];
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** Parses /proc/<pid>/cmdline: NUL-separated words, the last one NUL-terminated. */
export function parseCmdline(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  const words = text.split("\0");
  if (words.at(-1) === "") words.pop();
  return words;
}

/** The exit code of a child that ended: its own, or 128 + the signal's number (as a shell says). */
export function exitCodeOf(status: Deno.CommandStatus): number {
  if (status.signal === null) return status.code;
  return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
}

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/** Reads the facts of this process; a permission that is missing reads as "nothing known". */
export async function currentFacts(): Promise<ReexecFacts | null> {
  const env: Record<string, string | undefined> = {};
  try {
    for (const name of [...Object.keys(RUNTIME_ENV), NO_REEXEC]) env[name] = Deno.env.get(name);
  } catch {
    // No --allow-env: nothing can be checked (nor passed on); serve as started.
    return null;
  }
  let cmdline: string[] | null = null;
  try {
    cmdline = parseCmdline(await Deno.readFile("/proc/self/cmdline"));
  } catch {
    // Not Linux, or no read permission: the command line is rebuilt.
  }
  const main = Deno.mainModule;
  const mainPath = main.startsWith("file:") ? decodeURIComponent(new URL(main).pathname) : null;
  const permissionFlags: string[] = [];
  for (const name of ["read", "write", "net", "env", "run", "sys", "ffi"] as const) {
    if ((await Deno.permissions.query({ name })).state === "granted") {
      permissionFlags.push(`--allow-${name}`);
    }
  }
  return {
    env,
    args: Deno.args,
    cmdline,
    execPath: Deno.execPath(),
    mainPath,
    permissionFlags,
    pid: Deno.pid,
  };
}

/**
 * Makes sure the server runs with RUNTIME_ENV. When the variables are missing, runs this program
 * again with them (stdio inherited, the FORWARDED signals passed on) and exits with its code: this
 * function then never returns. Returns at once when they are set, and in the re-executed server,
 * which also watches its parent: should the parent be killed outright (SIGKILL), the server shuts
 * down gracefully instead of living on unsupervised. Without the permission to run the executable,
 * says so and serves as started.
 */
export async function ensureRuntimeEnv(): Promise<void> {
  const facts = await currentFacts();
  if (facts === null) return;
  const parent = Number(facts.env[NO_REEXEC]);
  if (Number.isInteger(parent) && parent > 1 && parent === Deno.ppid) watchParent(parent);
  const plan = planReexec(facts);
  if (plan === null) return;
  const run = await Deno.permissions.query({ name: "run", command: plan.command });
  if (run.state !== "granted") {
    console.error(
      `webserv: [warn] ${Object.entries(RUNTIME_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} ` +
        "is not set and --allow-run is missing to set it: the latency tail with many " +
        "connections will be long",
    );
    return;
  }
  const child = new Deno.Command(plan.command, {
    args: plan.args,
    env: plan.env,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of FORWARDED) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // The server has exited already; its status ends this process.
      }
    });
  }
  Deno.exit(exitCodeOf(await child.status));
}

/** Shuts the server down (SIGTERM to itself) once its parent has gone (it is then re-parented). */
function watchParent(parent: number): void {
  const timer = setInterval(() => {
    if (Deno.ppid === parent) return;
    clearInterval(timer);
    Deno.kill(Deno.pid, "SIGTERM");
  }, 1000);
  Deno.unrefTimer(timer);
}
