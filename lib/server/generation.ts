/** What one configuration holds open while it serves: connections, logs, sessions, scripts. */
import { UserFiles } from "../access/user_files.ts";
import { makeZones } from "../access/zones.ts";
import { CgiPool } from "../cgi/runner.ts";
import { eachLocation } from "../config/each_location.ts";
import type { Config } from "../config/types.ts";
import { FileCache } from "../files/file_cache.ts";
import { AccessLog } from "../log/access_log.ts";
import { ErrorLog } from "../log/error_log.ts";
import type { Services } from "../phases/context.ts";
import { CompressedCache } from "../compression/cache.ts";
import { Upstreams } from "../proxy/upstreams.ts";
import { SessionHubs } from "../session/hubs.ts";
import type { Binding } from "./bindings.ts";
import type { Connection } from "./connection.ts";
import { type ConnectionLimits, DRIVER_DEFAULTS } from "./limits.ts";
import type { Site } from "./site.ts";
import { Certificates } from "../tls/certificates.ts";
import { AcmeManager, type AcmeOptions } from "../acme/manager.ts";
import { Http01Challenges } from "../acme/http01.ts";

/** Test hooks for the limits the configuration does not set. */
export interface StartOptions {
  limits?: Partial<ConnectionLimits>;
  /** Share the addresses with other processes (SO_REUSEPORT): one of several workers. */
  reusePort?: boolean;
  acme?: AcmeOptions;
}

/** Every access log target of a configuration (servers and locations), opened once each. */
async function openAccessLogs(config: Config): Promise<Map<string, AccessLog>> {
  const logs = new Map<string, AccessLog>();
  try {
    for (const server of config.servers) {
      for (const settings of [server, ...eachLocation(server)]) {
        for (const { path } of settings.accessLogs) {
          if (!logs.has(path)) logs.set(path, await AccessLog.open(path));
        }
      }
    }
  } catch (e) {
    for (const log of logs.values()) await log.close();
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
    readonly services: Services,
    readonly accessLogs: Map<string, AccessLog>,
    readonly certificates: Certificates,
    /** Orders and renews this configuration's ACME certificates once it serves. */
    readonly acme: AcmeManager,
  ) {}

  /**
   * Opens what a configuration needs: its error and access logs, a file cache, a CGI pool, and
   * the session hubs (handed on from `previous` for servers whose sessions did not change).
   */
  static async open(
    all: Set<Connection>,
    config: Config,
    options: StartOptions,
    previous?: Generation,
  ): Promise<Generation> {
    const limits: ConnectionLimits = { ...DRIVER_DEFAULTS, ...config.limits, ...options.limits };
    const log = await ErrorLog.open(config.errorLog);
    let accessLogs = new Map<string, AccessLog>();
    try {
      accessLogs = await openAccessLogs(config);
      const sessions = await SessionHubs.open(
        config,
        { log: (line) => log.report("error", line) },
        previous?.services.sessions,
      );
      const services: Services = {
        files: new FileCache(),
        compressed: new CompressedCache(),
        cgi: new CgiPool(limits.cgiMaxProcesses),
        zones: makeZones(config),
        userFiles: new UserFiles(),
        upstreams: new Upstreams(),
        sessions,
        acme: new Http01Challenges(),
        log,
      };
      const certificates = await Certificates.load(config);
      const acme = await AcmeManager.open(
        config,
        certificates,
        services.acme,
        log,
        options.acme,
      );
      return new Generation(all, config, limits, services, accessLogs, certificates, acme);
    } catch (e) {
      for (const access of accessLogs.values()) await access.close();
      await log.close();
      throw e;
    }
  }

  site(binding: Binding): Site {
    const { servers, byAddress } = binding;
    return {
      servers,
      byAddress,
      limits: this.limits,
      services: this.services,
      accessLogs: this.accessLogs,
      tls: binding.ssl,
      certificates: this.certificates,
    };
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

  /** Opens its log files again by their paths; says why for each that could not be. */
  async reopenLogs(): Promise<string[]> {
    const all = [
      this.services.log.reopen(),
      ...[...this.accessLogs.values()].map((l) => l.reopen()),
    ];
    return (await Promise.all(all)).filter((problem) => problem !== null);
  }

  /** Kills this configuration's scripts (for shutdown: `Deno.exit()` does not wait for children). */
  killScripts(): void {
    this.services.cgi.killAll();
  }

  /**
   * Drains, waits for this configuration's scripts still running (their sessions are stored when
   * they exit), then releases the logs and session stores.
   */
  async retire(): Promise<void> {
    await this.acme.stop();
    await this.drain();
    await this.services.cgi.allFinished();
    this.services.upstreams.close();
    await this.services.sessions.close();
    for (const log of this.accessLogs.values()) await log.close();
    await this.services.log.close();
  }
}
