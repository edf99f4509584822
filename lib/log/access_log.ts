/** An access log destination: formatted lines, written in batches without blocking. */
import { LogFile, type LogTarget } from "./log_file.ts";

export class AccessLog {
  private constructor(private readonly file: LogFile) {}

  /** Opens a log: "stdout" or a file path, appended to and created when missing. */
  static async open(target: LogTarget): Promise<AccessLog> {
    return new AccessLog(await LogFile.open(target));
  }

  /** Queues one line (its newline included). */
  write(line: string): void {
    this.file.write(line);
  }

  /** Writes what is queued. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Opens the file again by its path (logrotate): null, or why it could not be. */
  reopen(): Promise<string | null> {
    return this.file.reopen();
  }

  /** Flushes and closes the file (stdout stays open). */
  close(): Promise<void> {
    return this.file.close();
  }
}
