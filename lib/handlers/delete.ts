/** DELETE: removes one file under the location's root or alias. */
import { basename, dirname, join } from "node:path";
import type { Response } from "../http/response.ts";
import { mapToFile } from "../routing/resolve_path.ts";
import type { ContentHandler, RequestContext } from "../phases/context.ts";
import { fsErrorStatus } from "../files/fs_errors.ts";

/**
 * Removes the file the path maps to (root or alias) and answers 204. 404 when it does not exist
 * (or is hidden), 403 for a directory or a path leading outside the root, 409 when the removal
 * fails (permissions, read-only file system). A symbolic link is removed itself, never its target,
 * and a symlinked directory on the way may not lead outside the root.
 */
export const deleteHandler: ContentHandler = (ctx) =>
  // Only DELETE, and only where `allow_methods` names it: like nginx's dav_methods, deleting is
  // never on by default.
  ctx.head.method !== "DELETE" || !ctx.location.allowMethods?.includes("DELETE")
    ? null
    : deleteFile(ctx);

async function deleteFile(ctx: RequestContext): Promise<Response> {
  const mapped = mapToFile(ctx.path, ctx.location);
  // Outside the root or alias.
  if (mapped === null) return status(403);
  // A path ending in "/" names a directory.
  if (ctx.path.endsWith("/")) return status(403);
  const name = basename(mapped);
  // Hidden files, uploads in progress (".upload-…") among them, are not there for clients.
  if (name.startsWith(".")) return status(404);

  // The real directory must lie inside the real base: a symlinked directory could lead out.
  const base = ctx.location.alias ?? ctx.location.root;
  let parent: string;
  let realBase: string;
  try {
    realBase = await Deno.realPath(base);
    parent = await Deno.realPath(dirname(mapped));
  } catch (error) {
    return lookupFailure(error);
  }
  if (!isInside(parent, realBase)) return status(403);

  const path = join(parent, name);
  let info: Deno.FileInfo;
  try {
    // lstat: a symlink is the file to remove, wherever it points.
    info = await Deno.lstat(path);
  } catch (error) {
    return lookupFailure(error);
  }
  // Directories are not removed.
  if (info.isDirectory) return status(403);
  try {
    await Deno.remove(path);
    ctx.services.files.delete(path);
  } catch (error) {
    // Removed by someone else in the meantime.
    if (error instanceof Deno.errors.NotFound) return status(404);
    // Permissions, a read-only file system, a busy file: the file is still there.
    return status(409);
  }
  return { status: 204, headers: [], body: null };
}

/** Whether `path` is `dir` or lies below it (both real, absolute paths). */
function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** Maps a failed lookup to 404 (missing, a name too long) or 403 (not searchable); rethrows others. */
function lookupFailure(error: unknown): Response {
  const code = fsErrorStatus(error);
  if (code === null) throw error;
  return status(code);
}

function status(code: number): Response {
  return { status: code, headers: [], body: null };
}
