/** The access log in nginx's "combined" format. */
import { LogFile, type LogTarget } from "./log_file.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** What one log line says about a request. */
export interface AccessEntry {
  remote: string;
  requestLine: string;
  status: number;
  bytes: number;
  referer: string;
  userAgent: string;
}

/** `10/Oct/2000:13:55:36 +0000` (nginx's $time_local, in UTC). */
export function timeLocal(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

/** Escapes quotes, backslashes and control bytes like nginx's log escaping ("\x22"). */
function esc(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) => {
    return "\\x" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  });
}

/** Formats one line of the combined log format, newline included. */
export function formatCombined(entry: AccessEntry, date: Date): string {
  return `${entry.remote} - - [${timeLocal(date)}] "${esc(entry.requestLine)}" ${entry.status} ` +
    `${entry.bytes} "${esc(entry.referer) || "-"}" "${esc(entry.userAgent) || "-"}"\n`;
}

/** One access log destination. */
export class AccessLog {
  private constructor(private readonly file: LogFile) {}

  /** Opens a log: "stdout" or a file path, appended to and created when missing. */
  static async open(target: LogTarget): Promise<AccessLog> {
    return new AccessLog(await LogFile.open(target));
  }

  /** Queues one request's line. */
  log(entry: AccessEntry): void {
    this.file.write(formatCombined(entry, new Date()));
  }

  /** Writes what is queued. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Flushes and closes the file (stdout stays open). */
  close(): Promise<void> {
    return this.file.close();
  }
}
