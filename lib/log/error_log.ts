/**
 * The error log (nginx's `error_log path [level]`): lines below the configured level are dropped,
 * and a problem that repeats is written once, then counted, with one summary line a minute.
 */
import type { ErrorLogSettings, LogLevel } from "../config/types.ts";
import { LogFile } from "./log_file.ts";

const LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "notice",
  "warn",
  "error",
  "crit",
  "alert",
  "emerg",
];

/** How long repeats of one problem are counted before a summary line says how many there were. */
export const REPEAT_WINDOW_MS = 60_000;

/** `2026/12/01 23:03:06` in UTC, nginx's error-log time. */
function logTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}/${p(date.getUTCMonth() + 1)}/${p(date.getUTCDate())} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
}

interface Repeats {
  level: LogLevel;
  count: number;
  last: string;
}

export class ErrorLog {
  readonly #threshold: number;
  /** Problems written in this window, by key, with the repeats counted since. */
  readonly #seen = new Map<string, Repeats>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly write: (line: string) => void,
    level: LogLevel,
    private readonly release: () => Promise<void> = () => Promise.resolve(),
    /** Opens the file again by its path (logrotate): null, or why it could not be. */
    readonly reopen: () => Promise<string | null> = () => Promise.resolve(null),
  ) {
    this.#threshold = LEVELS.indexOf(level);
  }

  /** Opens the configured target ("stderr" or a file). */
  static async open(settings: ErrorLogSettings): Promise<ErrorLog> {
    const file = await LogFile.open(settings.target);
    return new ErrorLog(
      (line) => file.write(line),
      settings.level,
      () => file.close(),
      () => file.reopen(),
    );
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LEVELS.indexOf(level) >= this.#threshold;
  }

  /** Writes one line at `level`, if the level is enabled. */
  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.write(`${logTime(new Date())} [${level}] ${Deno.pid}#0: ${message}\n`);
  }

  /**
   * Reports a problem that may repeat (the same failure for many requests): the first time in a
   * window it is written as `problem: detail`; repeats are only counted, and written as one line
   * (`problem: N more times in 60 s, last: detail`) when the window ends.
   */
  report(level: LogLevel, problem: string, detail = ""): void {
    if (!this.enabled(level)) return;
    const seen = this.#seen.get(problem);
    if (seen !== undefined) {
      seen.count++;
      seen.last = detail;
      return;
    }
    this.#seen.set(problem, { level, count: 0, last: detail });
    this.log(level, detail === "" ? problem : `${problem}: ${detail}`);
    if (this.#timer === undefined) {
      const timer = setTimeout(() => this.#summarise(), REPEAT_WINDOW_MS);
      // Counting repeats must not keep the process alive.
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Writes how often each problem repeated, and starts a new window. */
  #summarise(): void {
    this.#timer = undefined;
    for (const [problem, seen] of this.#seen) {
      if (seen.count === 0) continue;
      const last = seen.last === "" ? "" : `, last: ${seen.last}`;
      this.log(seen.level, `${problem}: ${seen.count} more times in the last 60 s${last}`);
    }
    this.#seen.clear();
  }

  /** Writes the pending summaries and closes the file. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#summarise();
    await this.release();
  }
}
