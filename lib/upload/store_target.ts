/** Where a request path lands in an upload store. */

/** The store directory itself (`name: null`) or a file directly in it. */
export interface StoreTarget {
  name: string | null;
}

/**
 * Maps a decoded request path to the upload store: the location's prefix is the store directory,
 * so with `location /uploads/`, "/uploads/" and "/uploads" are the store and "/uploads/a.txt" is
 * "a.txt" in it. Returns null for anything else — a subdirectory ("/uploads/a/b"), a trailing slash
 * after a name, or a path the prefix does not cover as a whole segment ("/uploadsX" for
 * `location /uploads`). The name is not sanitised here.
 */
export function storeTarget(path: string, locationPath: string): StoreTarget | null {
  let rest: string;
  if (path.startsWith(locationPath)) rest = path.slice(locationPath.length);
  else if (path + "/" === locationPath) rest = "";
  else return null;
  // "location /uploads" covers "/uploads/a" but not "/uploadsX".
  if (!locationPath.endsWith("/") && rest !== "") {
    if (!rest.startsWith("/")) return null;
    rest = rest.slice(1);
  }
  if (rest === "") return { name: null };
  // Only files directly in the store: nothing below it, nothing named with a slash.
  if (rest.includes("/")) return null;
  return { name: rest };
}
