/** Saving the files of a multipart/form-data body. */
import { join } from "node:path";
import { HttpError } from "../http/errors.ts";
import type { BodyReader } from "../http/request.ts";
import { readBody, removeQuietly } from "./_body.ts";
import { sanitizeFilename } from "./filename.ts";
import { generatedName } from "./generated_name.ts";
import { MultipartParser } from "./multipart.ts";
import { publishUnique } from "./publish.ts";
import { createTempFile } from "./temp_file.ts";
import { writeAll } from "./write_all.ts";

/** A file saved in the upload store. */
export interface SavedFile {
  /** Its name in the store. */
  name: string;
  size: number;
}

interface PendingFile {
  tempPath: string;
  name: string;
  size: number;
}

/**
 * Streams every file part of the body to its own temporary file in `store`, then, once the whole
 * body has parsed, gives each a free name (sanitised from the sent file name, or generated; never
 * replacing a file) and returns them in form order. Form fields and empty file inputs
 * (`filename=""`) are skipped. All or nothing: if anything fails — the body (wrapped in
 * BodyReadError), the multipart syntax (HttpError 400), no file in the form (HttpError 400), the
 * disk — every file this call created is removed and the error propagates.
 */
export async function saveMultipart(
  body: BodyReader,
  boundary: string,
  store: string,
): Promise<SavedFile[]> {
  const parser = new MultipartParser(boundary);
  const pending: PendingFile[] = [];
  const published: string[] = [];
  let current: PendingFile | null = null;
  let file: Deno.FsFile | null = null;
  try {
    for (let chunk = await readBody(body); chunk !== null; chunk = await readBody(body)) {
      for (const event of parser.feed(chunk)) {
        if (event.type === "part") {
          // A plain field, or a file input left empty: nothing to save.
          if (event.filename === null || event.filename === "") continue;
          const temp = await createTempFile(store);
          file = temp.file;
          const name = sanitizeFilename(event.filename) ?? generatedName(event.contentType);
          current = { tempPath: temp.path, name, size: 0 };
          pending.push(current);
        } else if (event.type === "data") {
          if (current === null || file === null) continue;
          await writeAll(file, event.bytes);
          current.size += event.bytes.length;
        } else if (event.type === "partEnd") {
          file?.close();
          file = null;
          current = null;
        }
      }
    }
    parser.end();
    if (pending.length === 0) throw new HttpError(400, "No file in the form");
    const saved: SavedFile[] = [];
    for (const part of pending) {
      const name = await publishUnique(part.tempPath, store, part.name);
      published.push(join(store, name));
      saved.push({ name, size: part.size });
    }
    return saved;
  } catch (error) {
    file?.close();
    for (const part of pending) await removeQuietly(part.tempPath);
    for (const path of published) await removeQuietly(path);
    throw error;
  }
}
