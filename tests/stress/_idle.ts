/**
 * `deno task stress --idle N`: what N idle keep-alive connections cost. webserv, then nginx (one
 * worker) when installed, each pinned to CPU 0: the server's RSS before, with N connections open
 * (each has had one request answered and then waits), and after they have closed. Prints the
 * growth per connection beside nginx's; exits 1 when a connection failed or webserv holds more
 * than `--max-kib` (default 4) KiB per connection.
 *
 * N connections need N descriptors in this process and in the server: the server is started
 * through `prlimit --nofile` (root may raise its own hard limit); this process has to be started
 * with enough (`ulimit -n 30000` before `deno task stress --idle 10000`), and says so otherwise.
 */
import { join } from "node:path";
import { isInstalled, killGroup, readRss, spawnGroup, waitForListening } from "../bench/_child.ts";
import { freePort, nginxBenchConfig, ready } from "../bench/_servers.ts";

/** `--idle N [--max-kib K]`, or null when the arguments ask for another mode. */
export function parseIdleArgs(args: string[]): { count: number; maxKib: number } | null {
  let count: number | null = null;
  let maxKib = 4;
  for (let i = 0; i < args.length; i++) {
    const m = /^--(idle|max-kib)(?:=(.*))?$/.exec(args[i]!);
    if (m === null) {
      if (count !== null) throw new Error(`Unknown argument "${args[i]}" with --idle`);
      continue;
    }
    const text = m[2] ?? args[++i] ?? "";
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid ${m[1]} "${text}"`);
    if (m[1] === "idle") count = n;
    else maxKib = n;
  }
  return count === null ? null : { count, maxKib };
}

/** What one server cost. */
export interface IdleRow {
  name: string;
  beforeMiB: number;
  openMiB: number;
  afterMiB: number;
  /** Connections that did not get their answer. */
  failed: number;
}

/** KiB of RSS per connection while they were open. */
export function kibPerConnection(row: IdleRow, count: number): number {
  return (row.openMiB - row.beforeMiB) * 1024 / count;
}

export function formatIdleRow(row: IdleRow, count: number): string {
  return `| ${row.name} | ${row.beforeMiB.toFixed(1)} | ${row.openMiB.toFixed(1)} | ` +
    `${row.afterMiB.toFixed(1)} | ${kibPerConnection(row, count).toFixed(2)} | ${row.failed} |`;
}

const REQUEST = new TextEncoder().encode("GET /1k.bin HTTP/1.1\r\nHost: idle\r\n\r\n");
/** Connections opened at once. */
const BATCH = 250;

/** Opens `count` connections, each answered once; returns them (still open) and the failures. */
async function openIdle(port: number, count: number): Promise<[Deno.TcpConn[], number]> {
  const conns: Deno.TcpConn[] = [];
  let failed = 0;
  const one = async () => {
    let conn: Deno.TcpConn | null = null;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      await conn.write(REQUEST);
      // The answer: a 1 KiB body and its head, read until the body's last byte is in.
      const buf = new Uint8Array(4096);
      let got = 0;
      const deadline = setTimeout(() => conn?.close(), 10_000);
      try {
        while (got < 1024 + 100) {
          const n = await conn.read(buf.subarray(got));
          if (n === null) throw new Error("closed");
          got += n;
          const text = new TextDecoder().decode(buf.subarray(0, got));
          const end = text.indexOf("\r\n\r\n");
          if (end >= 0 && got >= end + 4 + 1024) break;
        }
      } finally {
        clearTimeout(deadline);
      }
    } catch {
      failed++;
    }
  };
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, one));
  }
  return [conns, failed];
}

/** The RSS of a process and its children (nginx's master and worker), in MiB. */
async function groupRss(pid: number): Promise<number> {
  let total = (await readRss(pid))?.rssMiB ?? 0;
  const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
  for (const child of children.trim().split(/\s+/).filter((s) => s !== "")) {
    total += (await readRss(Number(child)))?.rssMiB ?? 0;
  }
  return total;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measures one started server. */
async function measure(
  name: string,
  pid: number,
  port: number,
  count: number,
): Promise<IdleRow> {
  // A few requests first, so that what serving costs once is in the "before".
  const [warm] = await openIdle(port, 50);
  for (const c of warm) c.close();
  await settle(500);
  const beforeMiB = await groupRss(pid);
  const [conns, failed] = await openIdle(port, count);
  await settle(1000);
  const openMiB = await groupRss(pid);
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // Closed by a failure already.
    }
  }
  await settle(2000);
  const afterMiB = await groupRss(pid);
  return { name, beforeMiB, openMiB, afterMiB, failed };
}

/** The soft limit on open files of this process. */
async function ownFileLimit(): Promise<number | null> {
  const limits = await Deno.readTextFile("/proc/self/limits").catch(() => "");
  const m = /^Max open files\s+(\d+)/m.exec(limits);
  return m === null ? null : Number(m[1]);
}

/** Runs the idle-connection measurement; the exit code. */
export async function idleConnections(options: {
  tmp: string;
  repo: string;
  count: number;
  maxKib: number;
  serverPin: string[];
}): Promise<number> {
  const { tmp, count } = options;
  const need = count + 200;
  const own = await ownFileLimit();
  if (own !== null && own < need) {
    console.error(
      `stress: this process may open ${own} files, ${need} needed: "ulimit -n ${need}"`,
    );
    return 2;
  }
  const www = join(tmp, "www");
  await Deno.mkdir(www, { recursive: true });
  await Deno.writeFile(join(www, "1k.bin"), new Uint8Array(1024).fill(97));
  const prlimit = (await isInstalled("prlimit")) ? ["prlimit", `--nofile=${need}:${need}`] : [];
  const rows: IdleRow[] = [];

  const conf = join(tmp, "idle.conf");
  await Deno.writeTextFile(
    conf,
    `access_log off;\nworker_connections ${need};\n` +
      `server {\n  listen 127.0.0.1:0;\n  root ${www};\n  keepalive_timeout 120s;\n}\n`,
  );
  const argv = [
    ...options.serverPin,
    ...prlimit,
    Deno.execPath(),
    "run",
    "-A",
    join(options.repo, "main.ts"),
    conf,
  ];
  console.error(`stress: ${count} idle connections to webserv…`);
  const server = spawnGroup(argv[0]!, argv.slice(1), { stdout: "null", stderr: "piped" });
  try {
    const { port } = await waitForListening(server, "webserv");
    rows.push(await measure("webserv", server.pid, port, count));
  } finally {
    await killGroup(server);
  }

  if (await isInstalled("/usr/sbin/nginx")) {
    console.error(`stress: ${count} idle connections to nginx…`);
    const prefix = join(tmp, "nginx");
    await Deno.mkdir(prefix, { recursive: true });
    const port = freePort();
    const nginxConf = join(prefix, "nginx.conf");
    const text = nginxBenchConfig(www, prefix, port)
      .replace("events { worker_connections 1024; }", `events { worker_connections ${need}; }`)
      .replace("worker_processes 1;", `worker_processes 1;\nworker_rlimit_nofile ${need};`)
      .replace(
        "keepalive_requests 1000000;",
        "keepalive_requests 1000000;\n  keepalive_timeout 120s;",
      );
    await Deno.writeTextFile(nginxConf, text);
    const nginxArgv = [
      ...options.serverPin,
      "/usr/sbin/nginx",
      ...["-p", prefix, "-c", nginxConf, "-e", join(prefix, "error.log"), "-g", "daemon off;"],
    ];
    const nginx = spawnGroup(nginxArgv[0]!, nginxArgv.slice(1), { stdout: "null", stderr: "null" });
    try {
      await ready(nginx, `http://127.0.0.1:${port}/1k.bin`, () => Promise.resolve(""));
      rows.push(await measure("nginx", nginx.pid, port, count));
    } finally {
      await killGroup(nginx);
    }
  }

  console.log(`\n${count} idle keep-alive connections (RSS in MiB; nginx: master and worker)\n`);
  console.log("| server | RSS before | with them open | after they closed | KiB each | failed |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const row of rows) console.log(formatIdleRow(row, count));
  const ours = rows[0]!;
  const each = kibPerConnection(ours, count);
  if (ours.failed > 0 || each > options.maxKib) {
    console.log(`\nFAILED: webserv ${each.toFixed(2)} KiB each (at most ${options.maxKib})`);
    return 1;
  }
  return 0;
}
