/** Starts a listener per distinct address in the config and runs their accept loops. */
import { allCgiFinished, killAllCgi } from "../cgi/runner.ts";
import type { Config, ListenAddress, ServerConfig } from "../config/types.ts";
import { AccessLog } from "../log/access_log.ts";
import { openSessions } from "../session/registry.ts";
import { Connection } from "./connection.ts";
import { type ConnectionLimits, DRIVER_DEFAULTS } from "./limits.ts";
import type { Site } from "./site.ts";

/** A started server. */
export interface RunningServer {
  /** The bound address of each listener (port 0 in the config is resolved here). */
  readonly addrs: Deno.NetAddr[];
  /**
   * Serves a new configuration (SIGHUP): addresses still listed keep their sockets, new ones are
   * bound, dropped ones closed; new connections get the new configuration, connections in
   * progress finish their request with the old one and are then closed. Rejects, leaving the
   * old configuration in place, when a new address cannot be bound.
   */
  reload(config: Config): Promise<void>;
  /** Stops accepting, lets requests in progress finish within the grace period, closes the rest. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  limits?: Partial<ConnectionLimits>;
}

const BACKOFF_MS = 50;

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/** One socket to bind and the servers it serves. */
interface Binding {
  addr: ListenAddress;
  servers: ServerConfig[];
  byAddress: Map<string, ServerConfig[]>;
}

/**
 * Groups servers by listen address (the first server of a group is its default). As in nginx, a
 * wildcard address takes in the specific addresses with the same port: only the wildcard is bound
 * and the connection's local address picks the group.
 */
function bindings(servers: ServerConfig[]): Binding[] {
  const groups = new Map<string, Binding>();
  for (const server of servers) {
    for (const addr of server.listen) {
      const key = `${addr.host}:${addr.port}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { addr, servers: [server], byAddress: new Map() });
      else if (!group.servers.includes(server)) group.servers.push(server);
    }
  }
  for (const [key, group] of groups) {
    const { host, port } = group.addr;
    if (WILDCARDS.has(host) || port === 0) continue;
    const wildcard = [...WILDCARDS].map((w) => groups.get(`${w}:${port}`)).find((g) => g);
    if (wildcard === undefined) continue;
    wildcard.byAddress.set(host, group.servers);
    groups.delete(key);
  }
  return [...groups.values()];
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
class Generation {
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

/** A bound socket; its site (and generation) is swapped by a reload. */
interface Socket {
  key: string;
  listener: Deno.TcpListener;
  site: Site;
  generation: Generation;
  loop: Promise<void>;
}

function bindingKey(addr: ListenAddress): string {
  return `${addr.host}:${addr.port}`;
}

/** Binds every address (failing as a whole if one cannot be bound) and starts serving. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const all = new Set<Connection>();
  let generation = await Generation.open(all, config, options);
  let sockets: Socket[] = [];
  try {
    sockets = bind(bindings(config.servers), new Map(), generation);
  } catch (e) {
    await generation.retire();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  let reloading: Promise<void> = Promise.resolve();
  const server: RunningServer = {
    get addrs() {
      return sockets.map((s) => s.listener.addr);
    },
    reload(next) {
      reloading = reloading.then(async () => {
        if (stopping !== null) return;
        const fresh = await Generation.open(all, next, options, generation.config);
        // An address stays bound whether the new config names it as before or by its port.
        const kept = new Map<string, Socket>();
        for (const socket of sockets) {
          kept.set(socket.key, socket);
          kept.set(
            bindingKey({ host: socket.listener.addr.hostname, port: socket.listener.addr.port }),
            socket,
          );
        }
        let updated: Socket[];
        try {
          updated = bind(bindings(next.servers), kept, fresh);
        } catch (e) {
          await fresh.retire();
          throw e;
        }
        const old = generation;
        for (const socket of sockets) {
          if (!updated.includes(socket)) socket.listener.close();
        }
        sockets = updated;
        generation = fresh;
        await old.retire();
      });
      return reloading;
    },
    shutdown() {
      stopping ??= (async () => {
        await reloading.catch(() => {});
        for (const socket of sockets) socket.listener.close();
        await Promise.all(sockets.map((s) => s.loop));
        await generation.drain();
        // Deno.exit() does not wait for children: no script outlives the server.
        killAllCgi();
        await generation.retire();
      })();
      return stopping;
    },
  };
  return server;
}

/**
 * Gives each binding a socket: one of `kept` for an address already bound (its new site takes
 * effect for the next connection), else a new one. All or nothing: a failure closes the new ones.
 */
function bind(wanted: Binding[], kept: Map<string, Socket>, generation: Generation): Socket[] {
  const made: Socket[] = [];
  const reused: [Socket, Site, string][] = [];
  try {
    for (const binding of wanted) {
      const key = bindingKey(binding.addr);
      const site = generation.site(binding);
      const socket = kept.get(key);
      if (socket !== undefined) {
        reused.push([socket, site, key]);
        continue;
      }
      const { host: hostname, port } = binding.addr;
      const listener = Deno.listen({ hostname, port, transport: "tcp" });
      made.push({ key, listener, site, generation, loop: Promise.resolve() });
    }
  } catch (e) {
    for (const socket of made) socket.listener.close();
    throw e;
  }
  // Only now that every address is bound does anything change.
  for (const [socket, site, key] of reused) {
    socket.key = key;
    socket.site = site;
    socket.generation = generation;
  }
  for (const socket of made) socket.loop = acceptLoop(socket);
  const sockets = [...reused.map(([socket]) => socket), ...made];
  return wanted.map((b) => sockets.find((s) => s.key === bindingKey(b.addr))!);
}

const BUSY = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\nServer: webserv\r\nContent-Type: text/plain\r\n" +
    "Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nServer is too busy.\n",
);

/** Past `worker_connections`: a short 503 instead of a served connection (never a crash). */
async function refuse(conn: Deno.TcpConn): Promise<void> {
  try {
    await conn.write(BUSY);
  } catch {
    // The client is gone already.
  } finally {
    conn.close();
  }
}

/**
 * Accepts until the listener closes. Running out of descriptors must not end it (a `for await`
 * over the listener would): back off and try again.
 */
async function acceptLoop(socket: Socket): Promise<void> {
  for (;;) {
    let conn: Deno.TcpConn;
    try {
      conn = await socket.listener.accept();
    } catch (e) {
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
      const code = (e as { code?: string }).code;
      if (code !== "EMFILE" && code !== "ENFILE") console.error(`webserv: accept failed: ${e}`);
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
      continue;
    }
    const { site, generation } = socket;
    if (generation.all.size >= site.limits.workerConnections) {
      refuse(conn);
      continue;
    }
    const connection = new Connection(conn, site);
    generation.connections.add(connection);
    generation.all.add(connection);
    connection.finished = connection.serve().finally(() => {
      generation.connections.delete(connection);
      generation.all.delete(connection);
    });
  }
}
