/**
 * What a serving process does on each signal (nginx's set): SIGTERM/SIGINT stop fast, SIGQUIT
 * stops gracefully without a time limit, SIGHUP reloads, SIGUSR2 and SIGUSR1 reopen the log files
 * (signal_command.ts says why `-s reopen` sends USR2).
 */
import type { RunningServer, StartOptions } from "../server/listener.ts";

/** The longest delay a timer holds (2^31 - 1 ms, about 24.8 days): "no time limit" in practice. */
export const NO_TIME_LIMIT_MS = 2 ** 31 - 1;

/**
 * How the command line starts the server: requests in progress at a shutdown may take as long as
 * they need (a graceful quit promises that). A fast stop does not wait for them: it exits.
 */
export const SERVE_OPTIONS: StartOptions = { limits: { shutdownGraceMs: NO_TIME_LIMIT_MS } };

/**
 * How long a fast stop waits for the shutdown (listeners closed, idle connections closed, logs
 * written) before the process exits and cuts what is still in progress.
 */
export const FAST_STOP_MS = 1000;

export interface SignalActions {
  /** SIGHUP: read the configuration again and serve it (reporting failures itself). */
  reload(): Promise<void>;
  /** Where the handlers say what they do. */
  log(line: string): void;
}

/**
 * Installs the handlers and resolves once the server has stopped (fast or graceful); the
 * handlers are removed by then. A SIGTERM during a graceful quit makes it a fast stop, as in nginx.
 */
export function serveUntilStopped(server: RunningServer, actions: SignalActions): Promise<void> {
  const stopped = Promise.withResolvers<void>();
  let shutdown: Promise<void> | null = null;
  let fast = false;
  const begin = (stoppedAccepting?: () => void) => shutdown ??= server.shutdown(stoppedAccepting);
  const stopFast = () => {
    if (fast) return;
    fast = true;
    actions.log("webserv: shutting down");
    // Scripts would outlive the process (each runs in a process group of its own): kill them now.
    server.killScripts();
    const timer = setTimeout(stopped.resolve, FAST_STOP_MS);
    begin().then(() => {
      clearTimeout(timer);
      stopped.resolve();
    });
  };
  const quit = () => {
    if (shutdown !== null) return;
    // Said once new connections are refused: what waits for the line can count on that.
    begin(() => actions.log("webserv: shutting down gracefully")).then(stopped.resolve);
  };
  const reload = () => {
    if (shutdown === null) actions.reload();
  };
  const reopen = async () => {
    const failures = await server.reopenLogs();
    for (const failure of failures) actions.log(`webserv: ${failure}`);
    actions.log("webserv: log files reopened");
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", stopFast],
    ["SIGTERM", stopFast],
    ["SIGQUIT", quit],
    ["SIGHUP", reload],
    ["SIGUSR2", reopen],
    ["SIGUSR1", reopen],
  ];
  // Windows has only SIGINT (Ctrl-C) among these: -s there is not available, Ctrl-C stops.
  const usable = Deno.build.os === "windows" ? handlers.filter(([s]) => s === "SIGINT") : handlers;
  for (const [signal, handler] of usable) Deno.addSignalListener(signal, handler);
  return stopped.promise.finally(() => {
    for (const [signal, handler] of usable) Deno.removeSignalListener(signal, handler);
  });
}
