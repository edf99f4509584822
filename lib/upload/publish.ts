/** Giving a complete temporary file its final name without replacing anything. */
import { join } from "node:path";
import { uniqueName } from "./filename.ts";

/**
 * Moves the complete file at `tempPath` to a free name in `dir` ("a.txt", "a-1.txt"…) and returns
 * that name. A hard link claims the name atomically, so no other file is replaced and the name never
 * shows a partial file; where hard links are not supported, an empty file claims the name and the
 * temporary file is renamed over it.
 */
export async function publishUnique(tempPath: string, dir: string, name: string): Promise<string> {
  let linked = true;
  const final = await uniqueName(dir, name, async (path) => {
    try {
      await Deno.link(tempPath, path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) throw error;
      // No hard links on this file system: claim the name with an empty file instead.
      (await Deno.open(path, { write: true, createNew: true })).close();
      linked = false;
    }
  });
  if (linked) await Deno.remove(tempPath);
  else await Deno.rename(tempPath, join(dir, final));
  return final;
}
