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
  return logs;
}

/** Binds every address (failing as a whole if one cannot be bound) and starts serving. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const limits: ConnectionLimits = { ...DRIVER_DEFAULTS, ...config.limits, ...options.limits };
  const accessLogs = await openLogs(config);
  const listeners: [Deno.TcpListener, Site][] = [];
  let closeSessions = async () => {};
  try {
    // Session stores and their file directories, for servers with `session on` somewhere.
    closeSessions = await openSessions(config);
    for (const { addr, servers, byAddress } of bindings(config.servers)) {
      const listener = Deno.listen({ hostname: addr.host, port: addr.port, transport: "tcp" });
      listeners.push([listener, { servers, byAddress, limits, accessLogs }]);
    }
  } catch (e) {
    for (const [listener] of listeners) listener.close();
    await closeSessions();
    for (const log of new Set(accessLogs.values())) await log.close();
    throw e;
  }
  const connections = new Set<Connection>();
  const loops = listeners.map(([listener, site]) => acceptLoop(listener, site, connections));
  let stopping: Promise<void> | null = null;
  return {
    addrs: listeners.map(([l]) => l.addr),
    shutdown() {
      stopping ??= (async () => {
        for (const [listener] of listeners) listener.close();
        await Promise.all(loops);
        for (const conn of connections) conn.drain();
        const grace = setTimeout(() => {
          for (const conn of connections) conn.abort();
        }, limits.shutdownGraceMs);
        while (connections.size > 0) await Promise.all([...connections].map((c) => c.finished));
        clearTimeout(grace);
        // Deno.exit() does not wait for children: no script outlives the server.
        killAllCgi();
        await allCgiFinished();
        await closeSessions();
        for (const log of new Set(accessLogs.values())) await log.close();
      })();
      return stopping;
    },
  };
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
async function acceptLoop(
  listener: Deno.TcpListener,
  site: Site,
  connections: Set<Connection>,
): Promise<void> {
  for (;;) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch (e) {
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
      const code = (e as { code?: string }).code;
      if (code !== "EMFILE" && code !== "ENFILE") console.error(`webserv: accept failed: ${e}`);
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
      continue;
    }
    if (connections.size >= site.limits.workerConnections) {
      refuse(conn);
      continue;
    }
    const connection = new Connection(conn, site);
    connections.add(connection);
    connection.finished = connection.serve().finally(() => connections.delete(connection));
  }
}
