/** Starts a listener per distinct address in the config and runs their accept loops. */
import { formatListen } from "../config/listen.ts";
import type { Config } from "../config/types.ts";
import { type Binding, bindingKey, bindings } from "./bindings.ts";
import { Connection } from "./connection.ts";
import { Generation, type StartOptions } from "./generation.ts";
import type { Site } from "./site.ts";
import { NodeTlsListener } from "../tls/node_tls_listener.ts";
import { certificateFor } from "../tls/sni.ts";
import type { ClientConn } from "./connection.ts";

export type { StartOptions };

/** A started server. */
export interface RunningServer {
  /** The bound address of each listener (port 0 in the config is resolved here). */
  readonly addrs: Deno.NetAddr[];
  /** The URL of each listener: `http://127.0.0.1:8080/`, `https://[::1]:443/`. */
  readonly urls: string[];
  /**
   * Serves a new configuration (SIGHUP): addresses still listed keep their sockets, new ones are
   * bound, dropped ones closed; new connections get the new configuration, connections in
   * progress finish their request with the old one and are then closed. Rejects, leaving the
   * old configuration in place, when a new address cannot be bound.
   */
  reload(config: Config): Promise<void>;
  /**
   * Stops accepting, lets requests in progress finish within the grace period, closes the rest.
   * `stoppedAccepting` is called once no listener takes a connection any more (their sockets are
   * closed: a connect is refused from then on).
   */
  shutdown(stoppedAccepting?: () => void): Promise<void>;
  /** Opens every log file again by its path (logrotate); says why for each that could not be. */
  reopenLogs(): Promise<string[]>;
  /** Kills every CGI script still running, of any configuration (a fast stop). */
  killScripts(): void;
}

const BACKOFF_MS = 50;

/** Any listener the server binds: plain TCP, or TLS (node_tls_listener.ts says why node's). */
interface Listener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<ClientConn>;
  close(): void;
}

/** A bound socket; its site (and generation) is swapped by a reload. */
interface Socket {
  key: string;
  listener: Listener;
  site: Site;
  generation: Generation;
  loop: Promise<void>;
}

/** Binds every address (failing as a whole if one cannot be bound) and starts serving. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const all = new Set<Connection>();
  const reusePort = options.reusePort ?? false;
  let generation = await Generation.open(all, config, options);
  // The configurations still serving: the current one, and older ones until they retire.
  const live = new Set([generation]);
  let sockets: Socket[] = [];
  try {
    sockets = await bind(bindings(config.servers), new Map(), generation, reusePort);
  } catch (e) {
    await generation.retire();
    throw e;
  }
  // Listening now, so the HTTP-01 challenges of the orders can be answered.
  generation.acme.start();
  let stopping: Promise<void> | null = null;
  let reloading: Promise<void> = Promise.resolve();
  const server: RunningServer = {
    get addrs() {
      return sockets.map((s) => s.listener.addr);
    },
    get urls() {
      return sockets.map(({ listener: { addr }, site }) => {
        const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        return `${site.tls ? "https" : "http"}://${host}:${addr.port}/`;
      });
    },
    reload(next) {
      reloading = reloading.then(async () => {
        if (stopping !== null) return;
        const fresh = await Generation.open(all, next, options, generation);
        live.add(fresh);
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
          updated = await bind(bindings(next.servers), kept, fresh, reusePort);
        } catch (e) {
          live.delete(fresh);
          await fresh.retire();
          throw e;
        }
        const old = generation;
        for (const socket of sockets) {
          if (!updated.includes(socket)) socket.listener.close();
        }
        sockets = updated;
        generation = fresh;
        // One configuration orders at a time: the old one's orders end before the new one's.
        await old.acme.stop();
        fresh.acme.start();
        await old.retire();
        live.delete(old);
      });
      return reloading;
    },
    shutdown(stoppedAccepting) {
      stopping ??= (async () => {
        await reloading.catch(() => {});
        for (const socket of sockets) socket.listener.close();
        // A socket closes once its pending accept has failed, when its loop ends (not at close()).
        await Promise.all(sockets.map((s) => s.loop));
        stoppedAccepting?.();
        await generation.drain();
        // Deno.exit() does not wait for children: no script outlives the server.
        generation.killScripts();
        await generation.retire();
      })();
      return stopping;
    },
    async reopenLogs() {
      return (await Promise.all([...live].map((g) => g.reopenLogs()))).flat();
    },
    killScripts() {
      for (const g of live) g.killScripts();
    },
  };
  return server;
}

/**
 * Gives each binding a socket: one of `kept` for an address already bound (its new site takes
 * effect for the next connection), else a new one. All or nothing: a failure closes the new ones.
 */
async function bind(
  wanted: Binding[],
  kept: Map<string, Socket>,
  generation: Generation,
  reusePort: boolean,
): Promise<Socket[]> {
  const made: Socket[] = [];
  const reused: [Socket, Site, string][] = [];
  try {
    for (const binding of wanted) {
      const key = bindingKey(binding.addr);
      const site = generation.site(binding);
      const old = kept.get(key);
      if (old !== undefined) {
        reused.push([old, site, key]);
        continue;
      }
      const socket: Socket = { key, listener: null!, site, generation, loop: Promise.resolve() };
      socket.listener = await listen(binding, socket, reusePort);
      made.push(socket);
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

/**
 * A TLS listener whose certificate is chosen per handshake from the socket's current site (so a
 * reload or a renewed certificate applies to the next handshake).
 */
function tlsListener(
  socket: Socket,
  hostname: string,
  port: number,
  reusePort: boolean,
): Promise<Listener> {
  return NodeTlsListener.listen({
    hostname,
    port,
    reusePort,
    certificate: (sni) => certificateFor(socket.site.servers, socket.site.certificates, sni),
    handshakeTimeoutMs: socket.site.servers[0]!.sslHandshakeTimeout,
    onFailure: (remote, why) =>
      socket.site.services.log.report(
        "info",
        "TLS handshake failed",
        remote === "" ? why : `${remote}: ${why}`,
      ),
  });
}

/** Binds one address; a failure names it (`cannot listen on 127.0.0.1:8080: address in use`). */
async function listen(binding: Binding, socket: Socket, reusePort: boolean): Promise<Listener> {
  const { host: hostname, port } = binding.addr;
  try {
    if (binding.ssl) return await tlsListener(socket, hostname, port, reusePort);
    return Deno.listen({ hostname, port, transport: "tcp", reusePort });
  } catch (e) {
    const reason = e instanceof Deno.errors.AddrInUse ||
        (e as { code?: string }).code === "EADDRINUSE"
      ? "address already in use"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new Error(`cannot listen on ${formatListen(binding.addr)}: ${reason}`);
  }
}

/**
 * Errors of `accept()` that belong to one connection that was aborted before it was accepted
 * (the client sent a reset): accept the next one at once.
 */
const ABORTED = new Set(["NotConnected", "ConnectionAborted", "ConnectionReset"]);

const BUSY = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\nServer: webserv\r\nContent-Type: text/plain\r\n" +
    "Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nServer is too busy.\n",
);

/** Past `worker_connections`: a short 503 instead of a served connection (never a crash). */
async function refuse(conn: ClientConn): Promise<void> {
  try {
    await conn.write(BUSY);
  } catch {
    // The client is gone already.
  } finally {
    conn.close();
  }
}

/**
 * Accepts until the listener closes. A connection that was reset before it was accepted only
 * costs itself; running out of descriptors or memory must not end the loop (a `for await` over
 * the listener would): back off and try again.
 */
async function acceptLoop(socket: Socket): Promise<void> {
  for (;;) {
    let conn: ClientConn;
    try {
      conn = await socket.listener.accept();
    } catch (e) {
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
      if (e instanceof Error && ABORTED.has(e.name)) continue;
      const code = (e as { code?: string }).code;
      if (code !== "EMFILE" && code !== "ENFILE") {
        socket.site.services.log.report("alert", "accept() failed", String(e));
      }
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
