/** Temporary files inside the upload store, renamed or linked to their final name when complete. */
import { join } from "node:path";
import { randomHex } from "./_random.ts";

/** The prefix of temporary upload files; a sanitised name never starts with a dot. */
export const TEMP_PREFIX = ".upload-";

/** An open temporary file and its path. */
export interface TempFile {
  path: string;
  file: Deno.FsFile;
}

/** Creates a new, empty ".upload-<random>" file in `dir` (never an existing one). */
export async function createTempFile(dir: string): Promise<TempFile> {
  for (;;) {
    const path = join(dir, TEMP_PREFIX + randomHex(8));
    try {
      return { path, file: await Deno.open(path, { write: true, createNew: true }) };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
}
