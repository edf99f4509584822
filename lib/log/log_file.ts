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
  #lines: string[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(private readonly out: Sink, private readonly owned: boolean) {}

  /** Opens a target. */
  static async open(target: LogTarget): Promise<LogFile> {
    if (target === "stdout") return new LogFile(Deno.stdout, false);
    if (target === "stderr") return new LogFile(Deno.stderr, false);
    return new LogFile(await Deno.open(target, { append: true, create: true }), true);
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
    await this.flush();
    if (this.owned) this.out.close?.();
  }
}
