/** Streaming a raw request body to disk. */
import type { BodyReader } from "../http/request.ts";
import { readBody, removeQuietly } from "./_body.ts";
import { createTempFile } from "./temp_file.ts";
import { writeAll } from "./write_all.ts";

/** A complete body in a temporary file. */
export interface ReceivedFile {
  path: string;
  size: number;
}

/**
 * Streams the whole body into a new temporary file in `dir`, in constant memory. If reading or
 * writing fails, the temporary file is removed and the error propagates (body errors wrapped in
 * BodyReadError).
 */
export async function receiveToTemp(body: BodyReader, dir: string): Promise<ReceivedFile> {
  const temp = await createTempFile(dir);
  let size = 0;
  try {
    for (;;) {
      const chunk = await readBody(body);
      if (chunk === null) break;
      await writeAll(temp.file, chunk);
      size += chunk.length;
    }
  } catch (error) {
    temp.file.close();
    await removeQuietly(temp.path);
    throw error;
  }
  temp.file.close();
  return { path: temp.path, size };
}
