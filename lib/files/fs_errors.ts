/** Which file-system errors become which HTTP status, as nginx's static module decides. */

/**
 * Returns 404 for a missing file (NotFound, NotADirectory as in "/file.txt/x", ENAMETOOLONG),
 * 403 for one the server may not read (PermissionDenied, FilesystemLoop), and null for any other
 * error, which the caller rethrows.
 */
export function fsErrorStatus(error: unknown): 403 | 404 | null {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return 404;
  }
  if (error instanceof Deno.errors.PermissionDenied) return 403;
  if (error instanceof Deno.errors.FilesystemLoop) return 403;
  // Deno has no class for ENAMETOOLONG: a plain Error carrying the code.
  if (error instanceof Error && (error as { code?: unknown }).code === "ENAMETOOLONG") return 404;
  return null;
}
