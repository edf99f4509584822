/**
 * `try_files file … uri|@name|=code;` (nginx's precontent phase): the first path that exists under
 * the location's root or alias is served in this location (one ending in "/" must be a directory,
 * any other a file); when none does, the last argument decides: an internal redirect to a URI or
 * a named location (the request keeps its method and body), or a status.
 */
import { fsErrorStatus } from "../files/fs_errors.ts";
import { mapToFile, normalizePath } from "../routing/resolve_path.ts";
import { expand } from "../variables/template.ts";
import type { TryFiles } from "../config/types.ts";
import type { Response } from "../http/response.ts";
import type { Handler, RequestContext, UriChange } from "./context.ts";

export const tryFiles: Handler = (ctx) =>
  ctx.location.tryFiles === null ? null : tryFile(ctx, ctx.location.tryFiles);

async function tryFile(ctx: RequestContext, rule: TryFiles): Promise<Response | UriChange> {
  for (const template of rule.files) {
    let uri = expand(template, ctx);
    // "name/" as written tests a directory and, as in nginx, goes on without that slash: "/dir"
    // then gets the static handler's redirect to "/dir/", and "/dir/" ("$uri/" is "/dir//") its
    // index.
    const directory = template.source.endsWith("/");
    if (directory) uri = uri.slice(0, -1);
    const path = normalizePath(uri.startsWith("/") ? uri : "/" + uri);
    if (path === null) continue;
    if (await exists(ctx, path, directory)) {
      return { kind: "uri", path, query: ctx.head.query, then: "stay" };
    }
  }
  if ("code" in rule.fallback) return { status: rule.fallback.code, headers: [], body: null };
  const target = expand(rule.fallback.uri, ctx);
  if (target.startsWith("@")) {
    return { kind: "uri", path: ctx.path, query: ctx.head.query, then: "restart", named: target };
  }
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const path = normalizePath(rawPath);
  if (path === null) return { status: 500, headers: [], body: null };
  // A fallback without arguments drops the request's, as nginx does (`/index.php?$args` keeps them).
  const query = q < 0 ? "" : target.slice(q + 1);
  return { kind: "uri", path, query, then: "restart" };
}

/** Whether `path` names a directory (`directory`) or a regular file here. */
async function exists(ctx: RequestContext, path: string, directory: boolean): Promise<boolean> {
  const file = mapToFile(path, ctx.location);
  if (file === null) return false;
  try {
    const info = await Deno.stat(file);
    return directory ? info.isDirectory : info.isFile;
  } catch (e) {
    if (fsErrorStatus(e) !== null) return false;
    throw e;
  }
}
