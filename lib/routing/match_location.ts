/** Finds the location block for a decoded URI path, in nginx's order. */
import type { LocationConfig, ServerConfig } from "../config/types.ts";

/** The location a path goes to, and the groups its regular expression captured ($1…$9). */
export interface LocationMatch {
  location: LocationConfig;
  /** Index 0 is the whole match; empty when no regular expression decided. */
  captures: string[];
}

/** A level of locations: a server, or a location with nested ones. */
interface Level {
  locations: readonly LocationConfig[];
  regexes: readonly LocationConfig[];
}

/** What searching one level found (nginx's ngx_http_core_find_location). */
interface Found {
  location: LocationConfig | null;
  captures: string[];
  /** An exact match or a regular expression decided: the levels above search no further. */
  final: boolean;
}

const NONE: string[] = [];

/**
 * Returns the location for `path`, as nginx chooses it:
 * 1. `location = uri` equal to the path: chosen at once;
 * 2. else the longest matching prefix (with `^~` or without), and its nested locations, searched
 *    the same way;
 * 3. unless that prefix has `^~`, the regular expressions of the level, in the order of the file:
 *    the first that matches is chosen (and its nested locations searched);
 * 4. else the longest prefix.
 * A server always holds a `location /` (the merge step adds one), so every path has a location.
 * "/dir" without its slash also reaches a `location /dir/` that proxies (nginx's auto_redirect),
 * which redirects it to "/dir/" (slashRedirect, in find-config).
 */
export function matchLocation(server: ServerConfig, path: string): LocationMatch {
  const found = search(server, path);
  if (found.location === null) throw new Error(`No location for "${path}"`);
  return { location: found.location, captures: found.captures };
}

function search(level: Level, path: string): Found {
  const prefix = longestPrefix(level.locations, path);
  let location: LocationConfig | null = prefix;
  let captures = NONE;
  if (prefix !== null) {
    if (prefix.modifier === "=") return { location: prefix, captures, final: true };
    if (prefix.locations.length > 0 || prefix.regexes.length > 0) {
      const nested = search(prefix, path);
      if (nested.final) return nested;
      if (nested.location !== null) location = nested.location;
    }
  }
  // `^~`: the prefix found here stops the search for regular expressions at this level.
  if (prefix?.modifier !== "^~") {
    for (const candidate of level.regexes) {
      const m = candidate.regex!.exec(path);
      if (m === null) continue;
      captures = m.map((group) => group ?? "");
      const nested = candidate.locations.length > 0 || candidate.regexes.length > 0
        ? search(candidate, path)
        : null;
      if (nested?.location != null) {
        // A nested expression's groups replace these; a nested prefix keeps them.
        const groups = nested.captures === NONE ? captures : nested.captures;
        return { location: nested.location, captures: groups, final: true };
      }
      return { location: candidate, captures, final: true };
    }
  }
  return { location, captures, final: false };
}

/**
 * The exact location equal to the path, else the longest prefix location that starts it (the
 * list is sorted: exact ones first, then prefixes longest first).
 */
function longestPrefix(locations: readonly LocationConfig[], path: string): LocationConfig | null {
  let fallback: LocationConfig | null = null;
  for (const location of locations) {
    if (location.modifier === "=") {
      if (location.path === path) return location;
    } else if (path.startsWith(location.path)) {
      return fallback ?? location;
    } else if (fallback === null && path + "/" === location.path && location.proxyPass !== null) {
      // "/dir" without its slash goes to a proxying "location /dir/", to be redirected to "/dir/";
      // the list is longest first, so any prefix that also matches comes later.
      fallback = location;
    }
  }
  return fallback;
}
