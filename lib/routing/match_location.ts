/** Finds the location block for a decoded URI path. */
import type { LocationConfig, ServerConfig } from "../config/types.ts";

/**
 * Returns the `location = /uri` equal to the path, else the longest prefix location that starts
 * the path. `server.locations` is sorted (exact first, then longest prefix first) and always holds
 * a `location /`, so every path has one.
 */
export function matchLocation(server: ServerConfig, path: string): LocationConfig {
  let fallback: LocationConfig | undefined;
  for (const location of server.locations) {
    if (location.exact) {
      if (location.path === path) return location;
    } else if (path.startsWith(location.path)) {
      return fallback ?? location;
    } else if (fallback === undefined && path + "/" === location.path) {
      // "/dir" without its slash goes to "location /dir/", whose handler redirects it to "/dir/";
      // the list is longest first, so any prefix that also matches comes later.
      fallback = location;
    }
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`No location for "${path}"`);
}
