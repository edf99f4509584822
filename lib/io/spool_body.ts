/**
 * A request body read ahead whole: a CGI script is told its CONTENT_LENGTH, and a proxied request
 * can be sent again to another upstream server.
 */
import type { BodyReader } from "../http/request.ts";

/** A body of known length, replayed from memory or from an unlinked temporary file. */
export interface SpooledBody extends BodyReader {
  readonly length: number;
  /** Starts the replay over from the first byte. */
  rewind(): Promise<void>;
  /** Releases the temporary file, if any. Safe to call more than once. */
  close(): void;
}

/** Bodies up to this size stay in memory. */
export const SPOOL_MEMORY_LIMIT = 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * Reads `body` to its end (its own limits apply: 413, 408, 400 are thrown as they come). Up to
 * `memoryLimit` bytes are kept in memory; a larger body goes to a temporary file that is unlinked
 * at once, so nothing is left behind even if the server dies. php-cgi reads no POST data without
 * CONTENT_LENGTH, which is why a chunked body cannot be streamed to a script as it arrives.
 */
export async function spoolBody(
  body: BodyReader,
  memoryLimit = SPOOL_MEMORY_LIMIT,
): Promise<SpooledBody> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  let file: Deno.FsFile | null = null;
  try {
    for (;;) {
      const chunk = await body.read();
      if (chunk === null) break;
      length += chunk.length;
      if (file === null && length <= memoryLimit) {
        // The reader's bytes are only valid until its next read: keep a copy.
        pieces.push(chunk.slice());
        continue;
      }
      if (file === null) {
        file = await openUnlinkedTemp();
        for (const piece of pieces) await writeAll(file, piece);
        pieces.length = 0;
      }
      await writeAll(file, chunk);
    }
    if (file === null) return new MemoryBody(pieces, length);
    await file.seek(0, Deno.SeekMode.Start);
    return new FileSpool(file, length);
  } catch (e) {
    file?.close();
    throw e;
  }
}

class MemoryBody implements SpooledBody {
  #index = 0;
  constructor(private readonly pieces: Uint8Array[], readonly length: number) {}

  read(): Promise<Uint8Array | null> {
    return Promise.resolve(this.pieces[this.#index++] ?? null);
  }

  rewind(): Promise<void> {
    this.#index = 0;
    return Promise.resolve();
  }

  close(): void {
    this.pieces.length = 0;
  }
}

class FileSpool implements SpooledBody {
  #buf = new Uint8Array(READ_CHUNK);
  #file: Deno.FsFile | null;
  constructor(file: Deno.FsFile, readonly length: number) {
    this.#file = file;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#file === null) return null;
    const n = await this.#file.read(this.#buf);
    return n === null ? null : this.#buf.subarray(0, n);
  }

  async rewind(): Promise<void> {
    await this.#file?.seek(0, Deno.SeekMode.Start);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

async function openUnlinkedTemp(): Promise<Deno.FsFile> {
  const path = await Deno.makeTempFile({ prefix: "webserv-body-" });
  try {
    return await Deno.open(path, { read: true, write: true });
  } finally {
    await Deno.remove(path);
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}
