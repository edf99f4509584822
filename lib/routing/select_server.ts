/** Picks the virtual server for a request from those listening on the same address (nginx order). */
import type { ServerConfig } from "../config/types.ts";

/**
 * Returns the server whose `server_name` matches `host`: an exact name first, then the longest
 * leading wildcard ("*.example.com"), then the longest trailing wildcard ("www.example.*");
 * otherwise the first server, which is the default for its address.
 */
export function selectServer(servers: readonly ServerConfig[], host: string): ServerConfig {
  const first = servers[0];
  if (first === undefined) throw new Error("No server for this address");
  if (servers.length === 1 || host === "") return first;
  let leading: ServerConfig | null = null;
  let leadingLength = 0;
  let trailing: ServerConfig | null = null;
  let trailingLength = 0;
  for (const server of servers) {
    for (const name of server.serverNames) {
      if (name === host) return server;
      if (name.startsWith("*.") && host.endsWith(name.slice(1)) && name.length > leadingLength) {
        leading = server;
        leadingLength = name.length;
      } else if (
        name.endsWith(".*") && host.startsWith(name.slice(0, -1)) && name.length > trailingLength
      ) {
        trailing = server;
        trailingLength = name.length;
      }
    }
  }
  return leading ?? trailing ?? first;
}
