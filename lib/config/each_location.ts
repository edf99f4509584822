/** Every location of a server, nested ones and named ones included. */
import type { LocationConfig, ServerConfig } from "./types.ts";

/** The server's locations at every depth: static ones, regular expressions, named ones. */
export function* eachLocation(
  level: Pick<ServerConfig, "locations" | "regexes"> & { named?: Map<string, LocationConfig> },
): Generator<LocationConfig> {
  for (const location of [...level.locations, ...level.regexes, ...(level.named?.values() ?? [])]) {
    yield location;
    yield* eachLocation(location);
  }
}
