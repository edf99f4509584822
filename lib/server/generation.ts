/** What one configuration holds open while it serves: connections, access logs, sessions. */
import { allCgiFinished } from "../cgi/runner.ts";
import type { Config, ServerConfig } from "../config/types.ts";
import { AccessLog } from "../log/access_log.ts";
import { openSessions } from "../session/registry.ts";
import type { Binding } from "./bindings.ts";
import type { Connection } from "./connection.ts";
import { type ConnectionLimits, DRIVER_DEFAULTS } from "./limits.ts";
import type { Site } from "./site.ts";

/** Test hooks for the limits the configuration does not set. */
export interface StartOptions {
  limits?: Partial<ConnectionLimits>;
}

async function openLogs(config: Config): Promise<Map<ServerConfig, AccessLog>> {
  const byTarget = new Map<string, AccessLog>();
  const logs = new Map<ServerConfig, AccessLog>();
  try {
    for (const server of config.servers) {
      const target = server.accessLog;
      if (target === null) continue;
      let log = byTarget.get(target);
      if (log === undefined) {
        log = await AccessLog.open(target);
        byTarget.set(target, log);
      }
      logs.set(server, log);
    }
  } catch (e) {
    for (const log of byTarget.values()) await log.close();
    throw e;
  }
  return logs;
}

/** What one configuration holds open; released once its last connection has ended. */
export class Generation {
  /** This configuration's connections. */
  readonly connections = new Set<Connection>();

  private constructor(
    /** Every open connection, of this configuration and older ones (for worker_connections). */
    readonly all: Set<Connection>,
    readonly config: Config,
    readonly limits: ConnectionLimits,
    readonly accessLogs: Map<ServerConfig, AccessLog>,
    readonly closeSessions: () => Promise<void>,
  ) {}

  static async open(
    all: Set<Connection>,
    config: Config,
    options: StartOptions,
    previous?: Config,
  ): Promise<Generation> {
    const limits: ConnectionLimits = { ...DRIVER_DEFAULTS, ...config.limits, ...options.limits };
    const accessLogs = await openLogs(config);
    try {
      // Session stores and their file directories, for servers with `session on` somewhere.
      const closeSessions = await openSessions(config, {}, previous);
      return new Generation(all, config, limits, accessLogs, closeSessions);
    } catch (e) {
      for (const log of new Set(accessLogs.values())) await log.close();
      throw e;
    }
  }

  site(binding: Binding): Site {
    const { servers, byAddress } = binding;
    return { servers, byAddress, limits: this.limits, accessLogs: this.accessLogs };
  }

  /** Lets the connections finish (closing them after their response) within the grace period. */
  async drain(): Promise<void> {
    for (const conn of this.connections) conn.drain();
    const grace = setTimeout(() => {
      for (const conn of this.connections) conn.abort();
    }, this.limits.shutdownGraceMs);
    while (this.connections.size > 0) {
      await Promise.all([...this.connections].map((c) => c.finished));
    }
    clearTimeout(grace);
  }

  /**
   * Drains, waits for scripts still running (their sessions are stored when they exit), then
   * releases the access logs and session stores.
   */
  async retire(): Promise<void> {
    await this.drain();
    await allCgiFinished();
    await this.closeSessions();
    for (const log of new Set(this.accessLogs.values())) await log.close();
  }
}
