/**
 * Which server block has which SessionHub, for one configuration: opened at start-up (and on a
 * reload), closed when the configuration is done; the CGI handler looks up its server's hub.
 */
import { eachLocation } from "../config/each_location.ts";
import type { Config, ServerConfig } from "../config/types.ts";
import { SessionHub, type SessionHubOptions } from "./hub.ts";

/** Whether `session on` applies anywhere in a server block. */
function usesSessions(server: ServerConfig): boolean {
  return server.session || eachLocation(server).some((l) => l.session);
}

/** What makes a server the same one across a reload, sessions included. */
function identity(server: ServerConfig): string {
  return JSON.stringify([server.listen, server.serverNames, server.sessions]);
}

export class SessionHubs {
  private constructor(private readonly hubs: Map<ServerConfig, SessionHub>) {}

  /**
   * Opens a hub for every server block with `session on` somewhere (all or none: a failure closes
   * those already open). A server of `previous` (the configuration being reloaded) with the same
   * addresses, names and session settings hands its hub on, so in-memory sessions survive a reload.
   */
  static async open(
    config: Config,
    options: SessionHubOptions = {},
    previous?: SessionHubs,
  ): Promise<SessionHubs> {
    const before = new Map<string, SessionHub>();
    for (const [server, hub] of previous?.hubs ?? []) before.set(identity(server), hub);
    const hubs = new Map<ServerConfig, SessionHub>();
    const opened = new SessionHubs(hubs);
    try {
      for (const server of config.servers) {
        if (!usesSessions(server)) continue;
        const hub = before.get(identity(server)) ?? await SessionHub.open(server, options);
        hub.retain();
        hubs.set(server, hub);
      }
    } catch (e) {
      await opened.close();
      throw e;
    }
    return opened;
  }

  /** The hub of a server block, or undefined when it has no sessions. */
  for(server: ServerConfig): SessionHub | undefined {
    return this.hubs.get(server);
  }

  /** Releases the hubs, closing those no configuration uses any more. */
  async close(): Promise<void> {
    const held = [...this.hubs.values()];
    this.hubs.clear();
    for (const hub of held) await hub.release();
  }
}
