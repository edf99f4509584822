/** Saving a raw request body as a new file, or replacing a file with it. */
import { join } from "node:path";
import type { BodyReader } from "../http/request.ts";
import { removeQuietly } from "./_body.ts";
import { publishUnique } from "./publish.ts";
import { receiveToTemp } from "./receive.ts";
import type { SavedFile } from "./save_multipart.ts";

/** Saves the body as a new file in `store` named `name` or "name-1"…; never replaces a file. */
export async function saveRaw(body: BodyReader, store: string, name: string): Promise<SavedFile> {
  const received = await receiveToTemp(body, store);
  try {
    return { name: await publishUnique(received.path, store, name), size: received.size };
  } catch (error) {
    await removeQuietly(received.path);
    throw error;
  }
}

/**
 * Saves the body as `store/name`, atomically replacing a file of that name: readers see the old
 * content or the new, never a part. Returns true when the file is new, false when it was replaced.
 */
export async function replaceFile(body: BodyReader, store: string, name: string): Promise<boolean> {
  const received = await receiveToTemp(body, store);
  const path = join(store, name);
  try {
    const existed = await exists(path);
    await Deno.rename(received.path, path);
    return !existed;
  } catch (error) {
    await removeQuietly(received.path);
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
