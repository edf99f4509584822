/** Drains a CGI script's stderr into the error log, line by line and bounded. */

/** Longest line logged as is; longer ones are cut. */
const MAX_LINE = 1024;
/** Characters logged per script run; the rest of stderr is read and dropped. */
const MAX_TOTAL = 16 * 1024;

/**
 * Reads `stream` to its end, logging each line as `<prefix>: <line>`. At most 16 KiB is logged per
 * stream (then one "output dropped" line); reading goes on so that the script never blocks on a
 * full pipe. Never rejects.
 */
export async function drainStderr(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  log: (line: string) => void,
): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let logged = 0;
  let dropped = false;
  const emit = (line: string): void => {
    if (logged >= MAX_TOTAL) {
      if (!dropped) log(`${prefix}: (further stderr output dropped)`);
      dropped = true;
      return;
    }
    const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) + "…" : line;
    logged += text.length;
    log(`${prefix}: ${text}`);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Over the bound: keep the pipe flowing without decoding.
      if (dropped) continue;
      pending += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        emit(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
      }
      // A very long line without a newline is logged in pieces rather than kept whole.
      if (pending.length > MAX_LINE) {
        emit(pending);
        pending = "";
      }
    }
    pending += decoder.decode();
    if (pending !== "" && !dropped) emit(pending);
  } catch {
    // The pipe broke or was cancelled: nothing more to log.
  } finally {
    reader.releaseLock();
  }
}
