/** A log destination: lines are queued and written in batches by async writes, never blocking. */

const FLUSH_MS = 200;
const FLUSH_BYTES = 64 * 1024;
const encoder = new TextEncoder();

/** Where a log goes: standard output, standard error, or a file (appended to, created if missing). */
export type LogTarget = "stdout" | "stderr" | string;

/** What a log writes to. */
interface Sink {
  write(bytes: Uint8Array): Promise<number>;
  close?(): void;
}

export class LogFile {
  #closed = false;
  #lines: string[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private out: Sink,
    private readonly owned: boolean,
    /** The file's path, to reopen it; null for stdout and stderr. */
    private readonly path: string | null = null,
  ) {}

  /** Opens a target. */
  static async open(target: LogTarget): Promise<LogFile> {
    if (target === "stdout") return new LogFile(Deno.stdout, false);
    if (target === "stderr") return new LogFile(Deno.stderr, false);
    return new LogFile(await Deno.open(target, { append: true, create: true }), true, target);
  }

  /**
   * Opens the path again, creating the file (`webserv -s reopen`: logrotate has moved the old one
   * away), and writes there from now on; what was queued is written to the old file, whose
   * descriptor is closed once those writes are done. Resolves to null, or to the reason the file
   * could not be opened (it then keeps writing to the old one). Standard output and error, and a
   * closed file, are left as they are.
   */
  async reopen(): Promise<string | null> {
    if (this.path === null || this.#closed) return null;
    let next: Deno.FsFile;
    try {
      next = await Deno.open(this.path, { append: true, create: true });
    } catch (e) {
      return `cannot reopen log file "${this.path}": ${e instanceof Error ? e.message : e}`;
    }
    if (this.#closed) {
      // Closed while the new file was being opened.
      next.close();
      return null;
    }
    // Lines logged before the reopen go to the old file (as nginx, which writes at once, does).
    this.flush();
    const old = this.out;
    this.out = next;
    // Writes chained before the swap still hold the old descriptor: close it after them.
    await this.#writing;
    old.close?.();
    return null;
  }

  /** Queues one line (with its newline); written within 200 ms or once 64 KiB are queued. */
  write(line: string): void {
    this.#lines.push(line);
    this.#size += line.length;
    if (this.#size >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      const timer = setTimeout(() => this.flush(), FLUSH_MS);
      // A queued line must not keep the process alive.
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
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
    const out = this.out;
    this.#writing = this.#writing.then(async () => {
      for (let off = 0; off < bytes.length;) off += await out.write(bytes.subarray(off));
    }).catch((e) => {
      // The log itself cannot be written: say so once where someone may see it.
      console.error(`webserv: log write failed: ${e}`);
    });
    return this.#writing;
  }

  /** Flushes, and closes a file (standard output and error stay open). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.owned) this.out.close?.();
  }
}
