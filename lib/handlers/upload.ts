/** Uploads into a location's `upload_store`: multipart forms and raw bodies (POST), PUT. */
import { join } from "node:path";
import { HttpError } from "../http/errors.ts";
import { getHeader } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { BodyReadError } from "../upload/_body.ts";
import { sanitizeFilename } from "../upload/filename.ts";
import { generatedName } from "../upload/generated_name.ts";
import { boundaryFrom } from "../upload/multipart.ts";
import { type UploadedFile, uploadResultBody } from "../upload/result_body.ts";
import { replaceFile, saveRaw } from "../upload/save_raw.ts";
import { type SavedFile, saveMultipart } from "../upload/save_multipart.ts";
import { storeTarget } from "../upload/store_target.ts";
import type { ContentHandler, RequestContext } from "../phases/context.ts";

const encoder = new TextEncoder();

/**
 * Saves POST and PUT bodies under the location's `upload_store`, whose directory stands for the
 * location's prefix; only files directly in it are written.
 * - POST multipart/form-data: each file part becomes a new file (sanitised name, "a-1.txt" when
 *   taken); 415 without a boundary, 400 with the reason when malformed or without a file.
 * - POST of anything else: the body becomes a new file named after the path, or a generated name
 *   ("upload-<ms>-<hex>.<ext>") when the path is the store itself.
 * - PUT: the body atomically replaces the named file (201 new, 204 replaced); 400 on the store.
 * Success is 201 with `Location` and a list of the files (JSON when accepted, else HTML). On any
 * failure the files of this request are removed; body errors (413, 408, 400, client gone) are
 * rethrown for the connection to answer, a full disk is 507, anything unexpected is rethrown.
 */
export const uploadHandler: ContentHandler = (ctx) => {
  const store = ctx.location.uploadStore;
  const method = ctx.head.method;
  // Uploads are off here, or this is not an upload.
  if (store === null || (method !== "POST" && method !== "PUT")) return null;
  return upload(ctx, store);
};

async function upload(ctx: RequestContext, store: string): Promise<Response> {
  const method = ctx.head.method;
  // Neither Content-Length nor Transfer-Encoding: the body has no known end.
  if (
    ctx.body.length === 0 && getHeader(ctx.head, "content-length") === undefined &&
    getHeader(ctx.head, "transfer-encoding") === undefined
  ) {
    return { status: 411, headers: [], body: null };
  }
  // Only the store itself and files directly in it.
  const target = storeTarget(ctx.path, ctx.location.path);
  if (target === null) return refuse(403);
  try {
    return method === "PUT"
      ? await put(ctx, store, target.name)
      : await post(ctx, store, target.name);
  } catch (error) {
    return failure(error);
  }
}

async function post(ctx: RequestContext, store: string, name: string | null): Promise<Response> {
  const contentType = getHeader(ctx.head, "content-type");
  const mediaType = contentType === undefined
    ? undefined
    : contentType.split(";", 1)[0]!.trim().toLowerCase();
  let saved: SavedFile[];
  if (mediaType === "multipart/form-data") {
    const boundary = boundaryFrom(contentType!);
    // A form without a usable boundary cannot be split into parts.
    if (boundary === null) return refuse(415);
    saved = await saveMultipart(ctx.body, boundary, store);
  } else {
    const fileName = (name === null ? null : sanitizeFilename(name)) ?? generatedName(contentType);
    saved = [await saveRaw(ctx.body, store, fileName)];
  }
  for (const file of saved) ctx.services.files.delete(join(store, file.name));
  const files: UploadedFile[] = saved.map((f) => ({ ...f, url: urlOf(ctx, f.name) }));
  const result = uploadResultBody(files, getHeader(ctx.head, "accept"));
  return {
    status: 201,
    headers: [["Location", files[0]!.url], ["Content-Type", result.contentType]],
    body: result.body,
  };
}

async function put(ctx: RequestContext, store: string, name: string | null): Promise<Response> {
  // PUT replaces a named file; the store itself is not one.
  if (name === null) return text(400, "PUT needs a file name below the upload store");
  // PUT does not rename: a name that sanitising would change (".htaccess", controls) is refused.
  if (sanitizeFilename(name) !== name) return refuse(403);
  // A directory of that name is not replaced.
  if (await isDirectory(join(store, name))) return refuse(409);
  const created = await replaceFile(ctx.body, store, name);
  ctx.services.files.delete(join(store, name));
  if (!created) return { status: 204, headers: [], body: null };
  return { status: 201, headers: [["Location", urlOf(ctx, name)]], body: null };
}

/** Turns a failure into a response, or rethrows it for the connection (and its 500). */
function failure(error: unknown): Response {
  // The body failed (413, 408, bad chunk, client gone): the connection answers or closes.
  if (error instanceof BodyReadError) throw error.cause;
  // Malformed multipart, no file, or a conflict found while saving: say what was wrong.
  if (error instanceof HttpError) return text(error.status, error.message);
  // As nginx's WebDAV module answers: a directory in the way or a store gone is a conflict, a
  // store the server may not write is forbidden, a full disk is 507.
  if (error instanceof Deno.errors.IsADirectory) return refuse(409);
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return refuse(409);
  }
  if (error instanceof Deno.errors.PermissionDenied) return refuse(403);
  if (isNoSpace(error)) return refuse(507);
  throw error;
}

function isNoSpace(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "ENOSPC";
}

/** The URI of a file in the store: the location prefix and the encoded name. */
function urlOf(ctx: RequestContext, name: string): string {
  const prefix = ctx.location.path.endsWith("/") ? ctx.location.path : ctx.location.path + "/";
  return prefix + encodeURIComponent(name);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * An error page answer. The body may not have been read (or only in part): the connection reads
 * and drops a small rest, or closes after a large one.
 */
function refuse(status: number): Response {
  return { status, headers: [], body: null };
}

/** An error with a plain-text reason instead of the error page. */
function text(status: number, message: string): Response {
  return {
    status,
    headers: [["Content-Type", "text/plain; charset=utf-8"]],
    body: encoder.encode(message + "\n"),
  };
}
