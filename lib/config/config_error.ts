/**
 * A problem in a configuration file. The message starts with where it is, like nginx's
 * `in file:line`: `"conf/x.conf:12: unknown directive "lisen""`, or `"conf/x.conf: cannot open: ..."`
 * when there is no line (line 0).
 */
export class ConfigError extends Error {
  /** The problem without the position prefix: `unknown directive "lisen"`. */
  readonly detail: string;

  constructor(readonly file: string, readonly line: number, detail: string) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = "ConfigError";
    this.detail = detail;
  }
}
