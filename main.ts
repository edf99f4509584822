/** webserv command line: load a config, check it or serve it until a signal. */
import { join, resolve } from "node:path";
import { ConfigError, loadConfig } from "./lib/config/load.ts";
import type { Config } from "./lib/config/types.ts";
import { startServer } from "./lib/server/listener.ts";
import { SERVER_NAME, VERSION } from "./lib/version.ts";

const USAGE = `Usage: webserv [options] [config-file]

Serves HTTP/1.1 as the configuration file says (default: config/default.conf beside the program).

Options:
  -t, --test      check the configuration and exit (0 if valid, 1 with file:line: message if not)
  -h, --help      show this help and exit
  -V, --version   show the version and exit
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

/** The default config ships beside main.ts (inside the executable when compiled). */
function defaultConfig(): string {
  return import.meta.dirname === undefined
    ? resolve("config/default.conf")
    : join(import.meta.dirname, "config", "default.conf");
}

/** Loads the configuration, printing what its checks warn about and what has no effect. */
async function load(file: string): Promise<Config> {
  const { config, warnings, notices } = await loadConfig(file);
  for (const warning of warnings) console.error(`webserv: [warn] ${warning}`);
  for (const notice of notices) console.error(`webserv: [notice] ${notice}`);
  return config;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(argv: string[]): Promise<number> {
  let args: Args | string;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (typeof args === "string") {
    await Deno.stdout.write(new TextEncoder().encode(args));
    return 0;
  }
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
  let server;
  try {
    server = await startServer(config);
  } catch (e) {
    console.error(`webserv: ${describe(e)}`);
    return 1;
  }
  for (const url of server.urls) console.error(`webserv: listening on ${url}`);
  const stopped = Promise.withResolvers<void>();
  const stop = () => {
    console.error("webserv: shutting down");
    server.shutdown().then(stopped.resolve);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // SIGHUP: read the configuration again; a broken one is reported and the old one kept.
  Deno.addSignalListener("SIGHUP", async () => {
    try {
      await server.reload(await load(args.configFile));
      console.error(`webserv: configuration ${args.configFile} reloaded`);
    } catch (e) {
      console.error(`webserv: reload failed, keeping the running configuration: ${describe(e)}`);
    }
  });
  await stopped.promise;
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
