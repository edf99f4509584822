/** Runs one CGI script: spawn, pipes, timeouts, kill and reaping, all owned here. */
import { basename, dirname } from "node:path";
import { HttpError } from "../http/errors.ts";
import type { BodyReader } from "../http/request.ts";
import { CgiOutputParser, MAX_CGI_HEADER_BYTES } from "./output_parser.ts";
import { drainStderr } from "./stderr_log.ts";

/** How long a script may take to send its headers, and then to send each piece of its body. */
export const DEFAULT_CGI_TIMEOUT_MS = 30_000;

export interface CgiRunOptions {
  /** Absolute path of the interpreter (php-cgi, python3, perl). */
  interpreter: string;
  /** Absolute path of the script, passed as the interpreter's only argument. */
  scriptFile: string;
  /** The whole environment (from buildCgiEnv): nothing is inherited from the server. */
  env: Record<string, string>;
  /** The request body, streamed to stdin; null or absent for none. */
  body?: BodyReader | null;
  /** Milliseconds; DEFAULT_CGI_TIMEOUT_MS when absent. */
  timeoutMs?: number;
  /** Bound on the header block; MAX_CGI_HEADER_BYTES when absent. */
  maxHeaderBytes?: number;
  /**
   * Where failures (the script could not start, ended early, timed out) and the lines of its
   * stderr go; console.error when absent.
   */
  log?: CgiLog;
  /** Called with the script's pid (also its process group id) once it runs. */
  onSpawn?: (pid: number) => void;
  /** Kills the script's group when it aborts (the client went away). */
  signal?: AbortSignal;
  /** The scripts this run counts among (cgi_max_processes); a pool of its own when absent. */
  pool?: CgiPool;
}

/**
 * The scripts of one configuration: how many run (past `maxProcesses` a run is refused with 503),
 * and every one of them, to kill them all at shutdown and to wait for them at a reload.
 */
export class CgiPool {
  readonly running = new Set<CgiProcess>();

  constructor(readonly maxProcesses = Infinity) {}

  /** Kills the process group of every running script; returns how many there were. */
  killAll(): number {
    const all = [...this.running];
    for (const cgi of all) cgi.kill();
    return all.length;
  }

  /** Resolves once every script running now has been reaped and its pipes released. */
  async allFinished(): Promise<void> {
    await Promise.all([...this.running].map((cgi) => cgi.finished));
  }
}

/** Takes a failure of a script, or a line of its stderr. */
export type CgiLog = (line: string, kind: "failure" | "stderr") => void;

/** A script that has sent its header block; its body is still streaming. */
export interface CgiRun {
  status: number;
  headers: [string, string][];
  /** A local URI for `Location: /path` without Status; the body is then meaningless. */
  internalRedirect?: string;
  /**
   * The rest of stdout, piece by piece (each piece is the consumer's to keep). Throws HttpError 504
   * when the script sends nothing for `timeoutMs`, or the body reader's error when it fails.
   */
  body: AsyncIterable<Uint8Array>;
  /**
   * Ends the run: kills the process group unless the script already finished (one that closed
   * stdout gets `timeoutMs` to exit), and releases the pipes. Safe to call more than once.
   */
  close(): void;
  /** Resolves once the process is reaped and its pipes are released; never rejects. */
  finished: Promise<void>;
  /** The script's pid, which is also its process group id. */
  pid: number;
}

/**
 * Spawns `interpreter scriptFile` in the script's directory, in a process group of its own, with
 * exactly `env`. The body is written to stdin while stdout is read and stderr is drained, so a
 * large body cannot deadlock. Resolves once the header block is parsed. Rejects with HttpError 502
 * when the interpreter cannot start, when stdout ends before the header block or the block is
 * malformed, with HttpError 504 when no complete header block arrives within `timeoutMs`, and
 * with the body reader's error when reading the request body fails; the group is killed in each
 * case and the script reaped before the promise rejects.
 */
export async function runCgi(options: CgiRunOptions): Promise<CgiRun> {
  const log: CgiLog = options.log ?? ((line) => console.error(line));
  const name = basename(options.scriptFile);
  const pool = options.pool ?? new CgiPool();
  if (pool.running.size >= pool.maxProcesses) {
    throw new HttpError(
      503,
      `Too many CGI scripts running (cgi_max_processes ${pool.maxProcesses})`,
    );
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.interpreter, {
      args: [options.scriptFile],
      env: options.env,
      clearEnv: true,
      cwd: dirname(options.scriptFile),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    log(
      `Cannot start CGI interpreter "${options.interpreter}" for "${name}": ${reason}`,
      "failure",
    );
    throw new HttpError(502, `Cannot start CGI interpreter "${options.interpreter}"`);
  }
  const cgi = new CgiProcess(child, name, options.timeoutMs ?? DEFAULT_CGI_TIMEOUT_MS, log, pool);
  cgi.start(options.body ?? null);
  options.onSpawn?.(child.pid);
  const signal = options.signal;
  if (signal !== undefined) {
    const kill = () => cgi.abandon();
    if (signal.aborted) kill();
    signal.addEventListener("abort", kill, { once: true });
    cgi.finished.then(() => signal.removeEventListener("abort", kill));
  }
  return await cgi.readHead(options.maxHeaderBytes ?? MAX_CGI_HEADER_BYTES);
}

class CgiProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdout: ReadableStreamDefaultReader<Uint8Array>;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #log: CgiLog;
  finished: Promise<void> = Promise.resolve();
  /** The script exited and stderr ended. */
  #reaped: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  /** The body reader's error, once it failed. */
  #failure: { error: unknown } | null = null;
  /** stdout reached its end. */
  #eof = false;
  /** The script (the group leader) exited and was reaped. */
  #exited = false;
  #killed = false;
  /** Killed because the client went away. */
  #abandoned = false;
  #closed = false;

  constructor(
    child: Deno.ChildProcess,
    name: string,
    timeoutMs: number,
    log: CgiLog,
    private readonly pool: CgiPool,
  ) {
    this.#child = child;
    this.#stdout = child.stdout.getReader();
    this.#name = name;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** Starts the stdin pump and the stderr drain, and watches for the exit. */
  start(body: BodyReader | null): void {
    this.pool.running.add(this);
    const exited = this.#child.status.then(() => {
      this.#exited = true;
    });
    const stdin = this.#pumpStdin(body, this.#child.stdin.getWriter());
    const stderr = drainStderr(
      this.#child.stderr,
      `CGI "${this.#name}"`,
      (line) => this.#log(line, "stderr"),
    );
    this.#reaped = Promise.all([exited, stderr]).then(() => {}, () => {});
    this.finished = Promise.all([this.#reaped, stdin]).then(() => {}, () => {}).finally(() => {
      this.pool.running.delete(this);
    });
  }

  /** Reads stdout up to the end of the header block. */
  async readHead(maxHeaderBytes: number): Promise<CgiRun> {
    const parser = new CgiOutputParser(maxHeaderBytes);
    this.#arm();
    try {
      for (;;) {
        const chunk = await this.#read();
        if (chunk === null) {
          // Killed because its client left: nobody to answer, nothing to report.
          if (this.#abandoned) throw new Deno.errors.ConnectionAborted("The client went away");
          throw new HttpError(502, `CGI script "${this.#name}" ended before its header block`);
        }
        const result = parser.push(chunk);
        if (result.kind === "incomplete") continue;
        if (result.kind === "error") {
          throw new HttpError(result.status, `${result.message} from "${this.#name}"`);
        }
        this.#disarm();
        const run: CgiRun = {
          status: result.head.status,
          headers: result.head.headers,
          body: this.#chunks(result.rest),
          close: () => this.close(),
          finished: this.finished,
          pid: this.#child.pid,
        };
        if (result.head.internalRedirect !== undefined) {
          run.internalRedirect = result.head.internalRedirect;
        }
        return run;
      }
    } catch (e) {
      this.#disarm();
      // No response will come: the script dies now, even one that only closed stdout.
      this.kill();
      this.close();
      await this.#reaped;
      if (e instanceof HttpError && e.status >= 500) this.#log(e.message, "failure");
      throw e;
    }
  }

  /** Kills the group unless the script is done, and releases stdout. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    if (!this.#eof) {
      this.kill();
      this.#stdout.cancel().catch(() => {});
      return;
    }
    if (this.#exited) return;
    // stdout is closed but the script runs on: it gets the timeout to exit, then the group dies.
    const timer = setTimeout(() => this.kill(), this.#timeoutMs);
    this.#child.status.finally(() => clearTimeout(timer));
  }

  /** The body: the bytes after the header block, then stdout piece by piece. */
  async *#chunks(first: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      if (first.length > 0) yield first;
      for (;;) {
        this.#arm();
        const chunk = await this.#read();
        this.#disarm();
        if (chunk === null) return;
        yield chunk;
      }
    } catch (e) {
      this.close();
      if (e instanceof HttpError && e.status >= 500) this.#log(e.message, "failure");
      throw e;
    } finally {
      this.#disarm();
    }
  }

  /** The next stdout piece, or null at its end (or after close()). */
  async #read(): Promise<Uint8Array | null> {
    let result: ReadableStreamReadResult<Uint8Array> | null = null;
    try {
      result = await this.#stdout.read();
    } catch {
      // Reported below: a timeout or a failed body is the cause, else a broken pipe.
    }
    if (this.#timedOut) {
      throw new HttpError(504, `CGI script "${this.#name}" timed out after ${this.#timeoutMs} ms`);
    }
    if (this.#failure !== null) throw this.#failure.error;
    if (result === null) {
      // A truncated body must not pass for a complete one: the stream fails.
      if (this.#closed) return null;
      throw new HttpError(502, `Cannot read the output of CGI script "${this.#name}"`);
    }
    if (result.done) {
      if (!this.#closed) this.#eof = true;
      return null;
    }
    return result.value;
  }

  /** Writes the body to stdin as it arrives; stops quietly when the script stops reading. */
  async #pumpStdin(
    body: BodyReader | null,
    writer: WritableStreamDefaultWriter<Uint8Array>,
  ): Promise<void> {
    try {
      while (body !== null && !this.#closed) {
        let chunk: Uint8Array | null;
        try {
          chunk = await body.read();
        } catch (e) {
          // The client went away or sent too much: the script must not run on half a body.
          this.#fail(e);
          return;
        }
        if (chunk === null || this.#closed) break;
        // The piece is only valid until the next read: the write completes before that.
        if (chunk.length > 0) await writer.write(chunk);
      }
      await writer.close();
    } catch {
      // BrokenPipe: the script exited or closed stdin without reading everything; not an error.
    } finally {
      // Releases the pipe if it is still open (a no-op once closed or broken).
      writer.abort().catch(() => {});
    }
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure = { error };
    this.kill();
    this.#stdout.cancel().catch(() => {});
  }

  #arm(): void {
    this.#disarm();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timedOut = true;
      this.kill();
      this.#stdout.cancel().catch(() => {});
    }, this.#timeoutMs);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Kills the group because the client went away. */
  abandon(): void {
    this.#abandoned = true;
    this.kill();
  }

  /** SIGKILL to the whole group: grandchildren holding stdout open die too. */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      Deno.kill(-this.#child.pid, "SIGKILL");
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}
