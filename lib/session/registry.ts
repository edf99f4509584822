/**
 * Which server block has which SessionHub. The listener opens the hubs at start-up (and on a
 * reload) and closes them when the configuration that opened them is done; the CGI handler looks
 * up the hub of the request's server.
 */
import type { Config, ServerConfig } from "../config/types.ts";
import { SessionHub, type SessionHubOptions } from "./hub.ts";

const hubs = new WeakMap<ServerConfig, SessionHub>();
/** How many open configurations use each hub: a reload hands a hub on instead of reopening it. */
const users = new Map<SessionHub, number>();

/** The hub of a server block, or undefined when no session was set up for it. */
export function sessionHubFor(server: ServerConfig): SessionHub | undefined {
  return hubs.get(server);
}

/** Whether `session on` applies anywhere in a server block. */
function usesSessions(server: ServerConfig): boolean {
  return server.session || server.locations.some((l) => l.session);
}

/** What makes a server the same one across a reload, sessions included. */
function identity(server: ServerConfig): string {
  return JSON.stringify([server.listen, server.serverNames, server.sessions]);
}

/**
 * Opens a hub for every server block with `session on` somewhere (all or none: a failure closes
 * those already open). A server of `previous` (the configuration being reloaded) with the same
 * addresses, names and session settings hands its hub on, so in-memory sessions survive a reload.
 * Resolves to a function that releases the hubs, closing those no configuration uses any more.
 */
export async function openSessions(
  config: Config,
  options: SessionHubOptions = {},
  previous?: Config,
): Promise<() => Promise<void>> {
  const held: SessionHub[] = [];
  const release = async () => {
    for (const hub of held) {
      const left = (users.get(hub) ?? 1) - 1;
      if (left > 0) {
        users.set(hub, left);
        continue;
      }
      users.delete(hub);
      await hub.close();
    }
    held.length = 0;
  };
  const before = new Map<string, SessionHub>();
  for (const server of previous?.servers ?? []) {
    const hub = hubs.get(server);
    if (hub !== undefined) before.set(identity(server), hub);
  }
  try {
    for (const server of config.servers) {
      if (!usesSessions(server)) continue;
      const hub = before.get(identity(server)) ?? await SessionHub.open(server, options);
      users.set(hub, (users.get(hub) ?? 0) + 1);
      held.push(hub);
      hubs.set(server, hub);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return release;
}
