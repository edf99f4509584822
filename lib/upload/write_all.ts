/** Writing a whole buffer to a file. */

/** Writes all of `bytes`: `write` may take only part of a buffer. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
