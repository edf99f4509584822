/** The access log in nginx's "combined" format, buffered and written without blocking. */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const FLUSH_MS = 200;
const FLUSH_BYTES = 64 * 1024;
const encoder = new TextEncoder();

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

/** A log destination: lines are queued and written in batches by an async write. */
export class AccessLog {
  #lines: string[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #file: Deno.FsFile | null = null;

  private constructor(private readonly target: "stdout" | Deno.FsFile) {
    if (target !== "stdout") this.#file = target;
  }

  /** Opens a log: "stdout" or a file path, appended to and created when missing. */
  static async open(target: string): Promise<AccessLog> {
    if (target === "stdout") return new AccessLog("stdout");
    return new AccessLog(await Deno.open(target, { append: true, create: true }));
  }

  /** Queues one request's line. */
  log(entry: AccessEntry): void {
    const line = formatCombined(entry, new Date());
    this.#lines.push(line);
    this.#size += line.length;
    if (this.#size >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is queued; resolves once it is written. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return this.#writing;
    const bytes = encoder.encode(this.#lines.join(""));
    this.#lines = [];
    this.#size = 0;
    const out = this.target === "stdout" ? Deno.stdout : this.target;
    this.#writing = this.#writing.then(async () => {
      for (let off = 0; off < bytes.length;) off += await out.write(bytes.subarray(off));
    }).catch((e) => console.error(`webserv: access log write failed: ${e}`));
    return this.#writing;
  }

  /** Flushes and closes the file (stdout stays open). */
  async close(): Promise<void> {
    await this.flush();
    this.#file?.close();
    this.#file = null;
  }
}
