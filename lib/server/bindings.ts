/** Which sockets to bind for a configuration, and which servers each one serves. */
import type { ListenAddress, ServerConfig } from "../config/types.ts";

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/** One socket to bind and the servers it serves. */
export interface Binding {
  addr: ListenAddress;
  /** TLS: some `listen` of this address says `ssl` (nginx: the address is then TLS for all). */
  ssl: boolean;
  servers: ServerConfig[];
  byAddress: Map<string, ServerConfig[]>;
}

/**
 * Groups servers by listen address. The first server of a group is its default: the one whose
 * `listen` says `default_server`, else the first in the file. As in nginx, a wildcard address
 * takes in the specific addresses with the same port: only the wildcard is bound and the
 * connection's local address picks the group.
 */
export function bindings(servers: ServerConfig[]): Binding[] {
  const groups = new Map<string, Binding>();
  for (const server of servers) {
    for (const addr of server.listen) {
      const key = bindingKey(addr);
      const group = groups.get(key);
      if (group === undefined) {
        groups.set(key, { addr, ssl: addr.ssl, servers: [server], byAddress: new Map() });
        continue;
      }
      group.ssl ||= addr.ssl;
      if (!group.servers.includes(server)) {
        if (addr.defaultServer) group.servers.unshift(server);
        else group.servers.push(server);
      }
    }
  }
  for (const [key, group] of groups) {
    const { host, port } = group.addr;
    if (WILDCARDS.has(host) || port === 0) continue;
    const wildcard = [...WILDCARDS].map((w) => groups.get(`${w}:${port}`)).find((g) => g);
    if (wildcard === undefined) continue;
    wildcard.byAddress.set(host, group.servers);
    wildcard.ssl ||= group.ssl;
    groups.delete(key);
  }
  return [...groups.values()];
}

/** "host:port", the identity of a listen address. */
export function bindingKey(addr: ListenAddress): string {
  return `${addr.host}:${addr.port}`;
}
