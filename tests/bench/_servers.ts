/**
 * The bench's contenders and how to start each one pinned to a CPU, serving `<tmp>/www`, on a port
 * it reports: webserv, a `Deno.serve` file server, Node's http, and nginx.
 */
import { join, resolve } from "node:path";
import { isInstalled, killGroup, spawnGroup, waitForHttp, waitForListening } from "./_child.ts";

const HERE = import.meta.dirname ?? ".";
const REPO = resolve(HERE, "../..");

/** A server that answers: where it listens and the process (group leader) to measure and kill. */
export interface Started {
  port: number;
  child: Deno.ChildProcess;
  /** The tail of what it logged, for a failure report. */
  log(): Promise<string>;
}

/** One contender. */
export interface Contender {
  name: string;
  /** The executable it needs, checked before starting. */
  binary: string;
  /**
   * Starts it serving `www` with its own files under `tmp` and returns once `probe` (a path under
   * `www`) answers 200; `pin` prefixes the command (taskset).
   */
  start(www: string, tmp: string, pin: string[], probe: string): Promise<Started>;
  /** Serves only the 1 KiB answer (the raw ceiling): no 100 MB run. */
  smallOnly?: boolean;
  /** Also measured at -c200 and -c1000 (the latency tail). */
  tails?: boolean;
}

/** Waits until `probe` answers 200, failing early (with `why()`) if the server exits first. */
export async function ready(child: Deno.ChildProcess, url: string, why: () => Promise<string>) {
  const exited = child.status.then(async (s) => {
    throw new Error(`Server exited with code "${s.code}" before answering: "${await why()}"`);
  });
  const stop = new AbortController();
  try {
    await Promise.race([waitForHttp(url, stop.signal), exited]);
  } finally {
    stop.abort();
    exited.catch(() => {});
  }
}

/** Spawns `pin + cmd`, waits for its listening line and an answer; kills it on failure. */
export async function spawnListening(
  name: string,
  pin: string[],
  cmd: string[],
  probe: string,
): Promise<Started> {
  const argv = [...pin, ...cmd];
  const child = spawnGroup(argv[0]!, argv.slice(1), { stdout: "null", stderr: "piped" });
  try {
    const { port, stderr } = await waitForListening(child, name);
    const log = () => Promise.resolve(stderr());
    await ready(child, `http://127.0.0.1:${port}/${probe}`, log);
    return { port, child, log };
  } catch (e) {
    await killGroup(child);
    throw e;
  }
}

/**
 * Spawns `argv` (a server that logs to `errorLog`, its output dropped) and returns once `probe`
 * on 127.0.0.1:`port` answers 200; kills it on failure.
 */
export async function spawnReady(
  argv: string[],
  port: number,
  probe: string,
  errorLog: string,
): Promise<Started> {
  const child = spawnGroup(argv[0]!, argv.slice(1), { stdout: "null", stderr: "null" });
  const log = () => Deno.readTextFile(errorLog).catch(() => "");
  try {
    await ready(child, `http://127.0.0.1:${port}/${probe}`, log);
  } catch (e) {
    await killGroup(child);
    throw e;
  }
  return { port, child, log };
}

/** A port nobody uses right now, for nginx's or lighttpd's config file (bind, read, close). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * nginx with one worker and sendfile, everything it writes kept under `prefix`; `tuned`: tuned for
 * small files instead (`sendfile off; open_file_cache max=1000;`).
 */
export function nginxBenchConfig(
  www: string,
  prefix: string,
  port: number,
  tuned = false,
): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
  return [
    Deno.uid() === 0 ? "user root;" : "",
    "master_process on;",
    "worker_processes 1;",
    `pid ${join(prefix, "nginx.pid")};`,
    `error_log ${join(prefix, "error.log")} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    ...(tuned ? ["  sendfile off;", "  open_file_cache max=1000;"] : ["  sendfile on;"]),
    "  tcp_nopush on;",
    "  keepalive_requests 1000000;",
    "  default_type application/octet-stream;",
    `  ${temp("client_body")}`,
    `  ${temp("proxy")}`,
    `  ${temp("fastcgi")}`,
    `  ${temp("uwsgi")}`,
    `  ${temp("scgi")}`,
    "  server {",
    `    listen 127.0.0.1:${port};`,
    `    root ${www};`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The pin of a server with two workers: both CPUs (wrk shares the second). */
const BOTH_CPUS = ["taskset", "-c", "0,1"];

/**
 * nginx (tuned for small files, or with sendfile) under a prefix of its own; with `workers` 2,
 * on both CPUs.
 */
function nginxContender(name: string, tuned: boolean, workers = 1): Contender {
  return {
    name,
    binary: "/usr/sbin/nginx",
    tails: workers === 1,
    smallOnly: workers > 1,
    async start(www, tmp, onePin, probe) {
      const pin = workers > 1 && onePin.length > 0 ? BOTH_CPUS : onePin;
      const prefix = join(tmp, `${tuned ? "nginx-tuned" : "nginx"}-${workers}`);
      await Deno.mkdir(prefix, { recursive: true });
      const port = freePort();
      const conf = join(prefix, "nginx.conf");
      await Deno.writeTextFile(
        conf,
        nginxBenchConfig(www, prefix, port, tuned)
          .replace("worker_connections 1024;", "worker_connections 4096;")
          .replace("worker_processes 1;", `worker_processes ${workers};`),
      );
      const argv = [
        ...pin,
        "/usr/sbin/nginx",
        ...["-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), "-g", "daemon off;"],
      ];
      return await spawnReady(argv, port, probe, join(prefix, "error.log"));
    },
  };
}

/** webserv serving `www`; with `workers` 2, a supervisor and two workers on both CPUs. */
function webservContender(name: string, workers = 1): Contender {
  return {
    name,
    binary: Deno.execPath(),
    tails: workers === 1,
    smallOnly: workers > 1,
    async start(www, tmp, onePin, probe) {
      const pin = workers > 1 && onePin.length > 0 ? BOTH_CPUS : onePin;
      const conf = join(tmp, `webserv-${workers}.conf`);
      await Deno.writeTextFile(
        conf,
        `worker_processes ${workers};\nworker_connections 4096;\n` +
          `pid ${join(tmp, `webserv-${workers}.pid`)};\n` +
          `server {\n  listen 127.0.0.1:0;\n  root ${www};\n  access_log off;\n}\n`,
      );
      return await spawnListening(name, pin, [
        Deno.execPath(),
        "run",
        "-A",
        join(REPO, "main.ts"),
        conf,
      ], probe);
    },
  };
}

/** The contenders, webserv first; the two-worker pair last. */
export const CONTENDERS: Contender[] = [
  webservContender("webserv"),
  {
    name: "Deno.serve",
    binary: Deno.execPath(),
    async start(www, _tmp, pin, probe) {
      return await spawnListening("Deno.serve", pin, [
        Deno.execPath(),
        "run",
        "-A",
        join(HERE, "deno_serve_files.ts"),
        www,
      ], probe);
    },
  },
  {
    name: "Node http",
    binary: "node",
    async start(www, _tmp, pin, probe) {
      return await spawnListening(
        "Node http",
        pin,
        ["node", join(HERE, "node_files.mjs"), www],
        probe,
      );
    },
  },
  {
    name: "raw Deno.listen",
    binary: Deno.execPath(),
    smallOnly: true,
    async start(_www, _tmp, pin, probe) {
      return await spawnListening("raw Deno.listen", pin, [
        Deno.execPath(),
        "run",
        "-A",
        join(HERE, "raw_listen.ts"),
      ], probe);
    },
  },
  nginxContender("nginx tuned", true),
  nginxContender("nginx", false),
  {
    name: "lighttpd",
    binary: "/usr/sbin/lighttpd",
    async start(www, tmp, pin, probe) {
      const prefix = join(tmp, "lighttpd-static");
      await Deno.mkdir(prefix, { recursive: true });
      const port = freePort();
      const conf = join(prefix, "lighttpd.conf");
      await Deno.writeTextFile(
        conf,
        [
          `server.document-root = "${www}"`,
          `server.bind = "127.0.0.1"`,
          `server.port = ${port}`,
          `server.errorlog = "${join(prefix, "error.log")}"`,
          `server.max-connections = 4096`,
          `server.max-fds = 8192`,
          `server.max-keep-alive-requests = 1000000`,
          "",
        ].join("\n"),
      );
      const argv = [...pin, "/usr/sbin/lighttpd", "-D", "-f", conf];
      return await spawnReady(argv, port, probe, join(prefix, "error.log"));
    },
  },
  webservContender("webserv, 2 workers", 2),
  nginxContender("nginx tuned, 2 workers", true, 2),
];

/** True when the contender's executable exists. */
export async function available(contender: Contender): Promise<boolean> {
  return await isInstalled(contender.binary);
}
