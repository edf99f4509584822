/**
 * `webserv -s stop|quit|reload|reopen [config]`, as nginx's `-s`: reads the configuration to find
 * its pid file, and sends the running server the signal for the command.
 */
import { ConfigError, loadConfig } from "../config/load.ts";
import { pidFilePath, readPidFile } from "./pid_file.ts";

/**
 * Each command and its signal: nginx's (TERM fast stop, QUIT graceful, HUP reload), except that
 * reopen sends USR2, not nginx's USR1: since Deno 2.9.2 a `deno run` process that gets SIGUSR1
 * also starts V8's inspector on 127.0.0.1:9229 (as Node does), which a daily logrotate must not
 * do. The server still reopens its logs on SIGUSR1 too.
 */
export const SIGNAL_COMMANDS = {
  stop: "SIGTERM",
  quit: "SIGQUIT",
  reload: "SIGHUP",
  reopen: "SIGUSR2",
} as const satisfies Record<string, Deno.Signal>;

export type SignalCommand = keyof typeof SIGNAL_COMMANDS;

function isSignalCommand(name: string): name is SignalCommand {
  return Object.hasOwn(SIGNAL_COMMANDS, name);
}

/**
 * Takes `-s name` (or `-sname`, as nginx allows) out of the arguments. Throws an Error with nginx's
 * wording for a missing or unknown name; a second `-s` is an error too.
 */
export function takeSignalOption(
  argv: readonly string[],
): { signal: SignalCommand | null; rest: string[] } {
  let signal: SignalCommand | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-s") || arg.startsWith("--")) {
      rest.push(arg);
      continue;
    }
    const name = arg === "-s" ? argv[++i] : arg.slice(2);
    if (name === undefined) throw new Error('option "-s" requires parameter');
    if (!isSignalCommand(name)) throw new Error(`invalid option: "-s ${name}"`);
    if (signal !== null) throw new Error('option "-s" is given twice');
    signal = name;
  }
  return { signal, rest };
}

/**
 * Sends the command's signal to the server whose pid file `configFile` names. Resolves to the exit
 * code: 0 when the signal was sent, 1 (with a line through `log`) when the configuration is broken,
 * the pid file is missing or malformed, or no such process runs.
 */
export async function sendSignalCommand(
  command: SignalCommand,
  configFile: string,
  log: (line: string) => void = console.error,
): Promise<number> {
  let path: string;
  try {
    path = pidFilePath((await loadConfig(configFile)).config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log(`webserv: ${e.message}`);
    return 1;
  }
  const read = await readPidFile(path);
  if (!read.ok) {
    log(`webserv: ${read.error}`);
    return 1;
  }
  const signal = SIGNAL_COMMANDS[command];
  try {
    Deno.kill(read.pid, signal);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    log(`webserv: kill(${read.pid}, ${signal}) failed: ${reason} (pid file "${path}")`);
    return 1;
  }
  return 0;
}
