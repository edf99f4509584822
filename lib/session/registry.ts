/**
 * Which server block has which SessionHub. The listener opens the hubs at start-up and closes
 * them at shutdown; the CGI handler looks up the hub of the request's server.
 */
import type { Config, ServerConfig } from "../config/types.ts";
import { SessionHub, type SessionHubOptions } from "./hub.ts";

const hubs = new WeakMap<ServerConfig, SessionHub>();

/** The hub of a server block, or undefined when no session was set up for it. */
export function sessionHubFor(server: ServerConfig): SessionHub | undefined {
  return hubs.get(server);
}

/** Whether `session on` applies anywhere in a server block. */
function usesSessions(server: ServerConfig): boolean {
  return server.session || server.locations.some((l) => l.session);
}

/**
 * Opens a hub for every server block with `session on` somewhere (all or none: a failure closes
 * those already open). Resolves to a function that closes them again.
 */
export async function openSessions(
  config: Config,
  options: SessionHubOptions = {},
): Promise<() => Promise<void>> {
  const opened: [ServerConfig, SessionHub][] = [];
  const closeAll = async () => {
    for (const [server, hub] of opened) {
      if (hubs.get(server) === hub) hubs.delete(server);
      await hub.close();
    }
    opened.length = 0;
  };
  try {
    for (const server of config.servers) {
      if (!usesSessions(server)) continue;
      const hub = await SessionHub.open(server, options);
      opened.push([server, hub]);
      hubs.set(server, hub);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return closeAll;
}
