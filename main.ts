/** webserv command line: load a config, check it or serve it until a signal. */
import { resolve } from "node:path";
import { ConfigError, loadConfig } from "./lib/config/load.ts";
import type { Config } from "./lib/config/types.ts";
import { startServer } from "./lib/server/listener.ts";
import { SERVER_NAME, VERSION } from "./lib/version.ts";
import {
  commandArgs,
  currentFacts,
  ensureRuntimeEnv,
  NO_REEXEC,
  RUNTIME_ENV,
} from "./lib/cli/runtime_env.ts";
import {
  applyWorkerPorts,
  PORTS,
  superviseWorkers,
  WORKER,
  workerCount,
} from "./lib/cli/workers.ts";
import { PidFile, pidFilePath } from "./lib/cli/pid_file.ts";
import { defaultConfigFile, locateAssets, programFacts } from "./lib/cli/assets.ts";
import { extractDemo, servesEmbeddedDemo } from "./lib/cli/embedded_demo.ts";
import { SERVE_OPTIONS, serveUntilStopped } from "./lib/cli/serve_signals.ts";
import {
  sendSignalCommand,
  type SignalCommand,
  takeSignalOption,
} from "./lib/cli/signal_command.ts";

// Before anything else: the runtime needs DENO_TOKIO_EVENT_INTERVAL=1 (re-executes without it).
if (import.meta.main) await ensureRuntimeEnv();

const USAGE = `Usage: webserv [options] [-s signal] [config-file]

Serves HTTP/1.1 as the configuration file says (default: config/default.conf beside the program).

Options:
  -t, --test      check the configuration and exit (0 if valid, 1 with file:line: message if not)
  -h, --help      show this help and exit
  -V, --version   show the version and exit
  -s signal       send a signal to the server running this config (its pid file), then exit:
                  stop (fast), quit (graceful), reload (read the config again), reopen (log files)
`;

interface Args {
  test: boolean;
  configFile: string;
}

function parseArgs(argv: string[]): Args | string {
  let test = false;
  let configFile: string | null = null;
  for (const arg of argv) {
    if (arg === "-h" || arg === "--help") return USAGE;
    if (arg === "-V" || arg === "--version") return `${SERVER_NAME} ${VERSION}\n`;
    if (arg === "-t" || arg === "--test") test = true;
    else if (arg.startsWith("-")) throw new Error(`Unknown option "${arg}"\n\n${USAGE}`);
    else if (configFile === null) configFile = arg;
    else throw new Error(`Unexpected argument "${arg}"\n\n${USAGE}`);
  }
  return { test, configFile: configFile === null ? defaultConfig() : resolve(configFile) };
}

/** Where config/, public/ and cgi/ are: beside main.ts, or inside the compiled executable. */
const ASSETS = locateAssets(programFacts());

/** The default config ships beside main.ts (inside the executable when compiled). */
function defaultConfig(): string {
  return defaultConfigFile(ASSETS);
}

/** Loads the configuration, printing what its checks warn about and what has no effect. */
/** This process's number when it is one of several workers (lib/cli/workers.ts). */
const worker = (() => {
  try {
    return Deno.env.get(WORKER);
  } catch {
    return undefined; // No --allow-env: not started as a worker.
  }
})();

/**
 * Loads the configuration, printing what its checks warn about and what has no effect (a worker
 * says nothing: its supervisor did); in a worker, port 0 is the port the supervisor chose.
 */
async function load(file: string): Promise<Config> {
  const { config, warnings, notices } = await loadConfig(file);
  if (worker !== undefined) return applyWorkerPorts(config, Deno.env.get(PORTS));
  for (const warning of warnings) console.error(`webserv: [warn] ${warning}`);
  for (const notice of notices) console.error(`webserv: [notice] ${notice}`);
  return config;
}

/** `worker_processes N`: this process supervises N workers, each this program again. */
async function supervise(config: Config, count: number): Promise<number> {
  const facts = await currentFacts();
  if (facts === null) {
    console.error("webserv: worker_processes needs --allow-env and --allow-run");
    return 1;
  }
  let pidFile: PidFile;
  try {
    pidFile = await PidFile.create(pidFilePath(config));
  } catch (e) {
    console.error(`webserv: ${describe(e)}`);
    return 1;
  }
  try {
    return await superviseWorkers(config, count, {
      command: facts.execPath,
      args: commandArgs(facts),
      env: { ...RUNTIME_ENV, [NO_REEXEC]: String(Deno.pid) },
    });
  } catch (e) {
    console.error(`webserv: ${describe(e)}`);
    return 1;
  } finally {
    await pidFile.remove();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The compiled executable run without a config serves its embedded demo from a private copy
 * (lib/cli/embedded_demo.ts says why), removed at exit.
 */
async function main(argv: string[]): Promise<number> {
  if (!servesEmbeddedDemo(argv, ASSETS.embedded)) return await run(argv);
  const demo = await extractDemo(ASSETS.root);
  try {
    return await run([...argv, demo.configFile]);
  } finally {
    await demo.remove();
  }
}

async function run(argv: string[]): Promise<number> {
  let args: Args | string;
  let signal: SignalCommand | null;
  try {
    const taken = takeSignalOption(argv);
    signal = taken.signal;
    args = parseArgs(taken.rest);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (typeof args === "string") {
    await Deno.stdout.write(new TextEncoder().encode(args));
    return 0;
  }
  if (signal !== null) return await sendSignalCommand(signal, args.configFile);
  let config: Config;
  try {
    config = await load(args.configFile);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`webserv: ${e.message}`);
    return 1;
  }
  if (args.test) {
    console.error(`webserv: the configuration file ${args.configFile} syntax is ok`);
    return 0;
  }
  const { count, notice } = workerCount(config.workerProcesses);
  if (notice !== null) console.error(`webserv: [notice] ${notice}`);
  if (count > 1 && worker === undefined) return await supervise(config, count);
  let server;
  try {
    server = await startServer(config, { ...SERVE_OPTIONS, reusePort: worker !== undefined });
  } catch (e) {
    console.error(`webserv: ${describe(e)}`);
    return 1;
  }
  // The pid file is the supervisor's when there are workers.
  let pidFile: PidFile | null = null;
  try {
    if (worker === undefined) pidFile = await PidFile.create(pidFilePath(config));
  } catch (e) {
    console.error(`webserv: ${describe(e)}`);
    await server.shutdown();
    return 1;
  }
  for (const url of server.urls) console.error(`webserv: listening on ${url}`);
  await serveUntilStopped(server, {
    log: (line) => console.error(line),
    // SIGHUP: read the configuration again; a broken one is reported and the old one kept.
    async reload() {
      let next: Config;
      try {
        next = await load(args.configFile);
        await server.reload(next);
        console.error(`webserv: configuration ${args.configFile} reloaded`);
      } catch (e) {
        console.error(`webserv: reload failed, keeping the running configuration: ${describe(e)}`);
        return;
      }
      // A new `pid` path: the new file is written, then the old one removed.
      await pidFile?.moveTo(pidFilePath(next)).catch((e) =>
        console.error(`webserv: ${describe(e)}`)
      );
    },
  });
  await pidFile?.remove();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
