/**
 * The reverse-proxy part of `deno task bench`: a 1 KiB file served by an upstream nginx (one
 * worker, pinned to the load's CPU, started once) and proxied by webserv and by nginx, each in
 * turn on the servers' CPU, with the same upstream block (`keepalive 32`, `proxy_http_version
 * 1.1`, `proxy_set_header Connection ""`). Before it is measured, each proxy is probed: the body
 * must be the file and the answer must carry the upstream's `X-Upstream` field; a second probe
 * tells whether the proxy reused its upstream connection (`$connection_requests` > 1). Each
 * proxy gets a second of load, not reported, before the measured run.
 *
 * Also the helpers the compression part shares: nginx under a prefix of its own, a raw HTTP/1.1
 * probe, and a one-run-per-server table.
 */
import { join, resolve } from "node:path";
import { killGroup } from "./_child.ts";
import { errorsOf } from "./_report.ts";
import { freePort, spawnListening, spawnReady, type Started } from "./_servers.ts";
import { runWrk, type WrkResult } from "./_wrk.ts";

const REPO = resolve(import.meta.dirname ?? ".", "../..");
const NGINX = "/usr/sbin/nginx";
/** Seconds of load before each measured run, not reported (webserv's JIT warms up). */
export const WARM_UP_SEC = 1;
/** The upstream block's name in both proxies' configs. */
const UPSTREAM = "app";

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested in _proxy_bench_test.ts)

/** What an nginx config needs besides its `server` block's lines. */
export interface NginxConfigOptions {
  /** Where its pid, logs and temp directories go. */
  prefix: string;
  port: number;
  /** Lines inside `http {}` before the server block (an upstream block, gzip…). */
  http?: string[];
  /** Lines inside `server {}` after `listen`. */
  server: string[];
}

/** An nginx config with one worker and every file it writes under `prefix`. */
export function nginxConfig(options: NginxConfigOptions): string {
  const { prefix } = options;
  const temp = (name: string) => `  ${name}_temp_path ${join(prefix, name)};`;
  return [
    ...(Deno.uid() === 0 ? ["user root;"] : []),
    "master_process on;",
    "worker_processes 1;",
    `pid ${join(prefix, "nginx.pid")};`,
    `error_log ${join(prefix, "error.log")} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  keepalive_requests 1000000;",
    "  default_type application/octet-stream;",
    "  types { text/css css; }",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp),
    ...(options.http ?? []).map((l) => `  ${l}`),
    "  server {",
    `    listen 127.0.0.1:${options.port};`,
    ...options.server.map((l) => `    ${l}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * The upstream block and location both proxies get: keep-alive connections to one server, as
 * nginx's documentation of `keepalive` says to set it up.
 */
export function proxyLines(upstreamPort: number): { http: string[]; location: string[] } {
  return {
    http: [`upstream ${UPSTREAM} { server 127.0.0.1:${upstreamPort}; keepalive 32; }`],
    location: [
      "location / {",
      `  proxy_pass http://${UPSTREAM};`,
      "  proxy_http_version 1.1;",
      '  proxy_set_header Connection "";',
      "}",
    ],
  };
}

/** A response as read off the wire: status, fields (names lower-cased) and the decoded body. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

function indexOfBytes(haystack: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CRLF = [13, 10];
const CRLFCRLF = [13, 10, 13, 10];

/**
 * Parses one whole HTTP/1.1 response (the server closed the connection after it): its head, and
 * its body by Content-Length, chunked framing, or to the end. Throws on a malformed one.
 */
export function parseRawResponse(bytes: Uint8Array): RawResponse {
  const end = indexOfBytes(bytes, CRLFCRLF);
  if (end === -1) throw new Error("No end of the response head");
  const lines = new TextDecoder("latin1").decode(bytes.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (m === null) throw new Error(`Bad status line "${lines[0]}"`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`Bad header line "${line}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const rest = bytes.subarray(end + 4);
  let body: Uint8Array;
  if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) {
    const parts: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const eol = indexOfBytes(rest, CRLF, at);
      if (eol === -1) throw new Error("Truncated chunk size");
      const sizeText = new TextDecoder().decode(rest.subarray(at, eol)).split(";")[0]!.trim();
      const size = parseInt(sizeText, 16);
      if (!/^[0-9a-f]+$/i.test(sizeText) || Number.isNaN(size)) {
        throw new Error(`Bad chunk size "${sizeText}"`);
      }
      at = eol + 2;
      if (size === 0) break;
      if (at + size + 2 > rest.length) throw new Error("Truncated chunk");
      parts.push(rest.subarray(at, at + size));
      at += size + 2;
    }
    body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      body.set(p, off);
      off += p.length;
    }
  } else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (rest.length < length) throw new Error(`Body short: ${rest.length} of ${length} bytes`);
    body = rest.subarray(0, length);
  } else {
    body = rest;
  }
  return { status: Number(m[1]), headers, body };
}

/** One server's run in a one-run table, or why it did not run. */
export interface RunRow {
  name: string;
  run: WrkResult | null;
  /** A column of its own when the table has one (Content-Encoding). */
  detail?: string;
  /** "skipped: …" or "failed: …" when the run is missing. */
  note: string | null;
}

function fixed(n: number | undefined, digits: number): string {
  return n === undefined ? "–" : n.toFixed(digits);
}

/** The markdown table: server, [detail,] req/s, p50 and p99 latency, errors. */
export function formatRunTable(rows: RunRow[], detailHeader?: string): string {
  const extra = detailHeader === undefined ? "" : ` ${detailHeader} |`;
  const lines = [
    `| server |${extra} req/s | p50 ms | p99 ms | errors |`,
    `|---|${detailHeader === undefined ? "" : "---|"}---:|---:|---:|---|`,
  ];
  for (const row of rows) {
    const detail = detailHeader === undefined ? "" : ` ${row.detail ?? "–"} |`;
    lines.push(
      `| ${row.name} |${detail} ${fixed(row.run?.requestsPerSec, 0)} | ` +
        `${fixed(row.run?.latencyMs.get("50%"), 2)} | ${
          fixed(row.run?.latencyMs.get("99%"), 2)
        } | ` +
        `${row.note ?? errorsOf([row.run])} |`,
    );
  }
  return lines.join("\n");
}

/** "ours/baseline: req/s 0.85×, p99 1.40×", "–" where either run is missing. */
export function formatRunRatio(rows: RunRow[], ours: string, baseline: string): string {
  const a = rows.find((r) => r.name === ours)?.run;
  const b = rows.find((r) => r.name === baseline)?.run;
  const ratio = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined || y === 0 ? "–" : `${(x / y).toFixed(2)}×`;
  return `${ours}/${baseline}: req/s ${ratio(a?.requestsPerSec, b?.requestsPerSec)}, ` +
    `p99 ${ratio(a?.latencyMs.get("99%"), b?.latencyMs.get("99%"))}`;
}

// ---------------------------------------------------------------------------------------------
// Processes and probes

/**
 * Starts nginx (`pin` prefixes the command) with `config` written under `prefix`, and returns once
 * `probe` (a path) answers 200; kills it on failure.
 */
export async function startNginx(
  prefix: string,
  port: number,
  config: string,
  pin: string[],
  probe: string,
): Promise<Started> {
  await Deno.mkdir(prefix, { recursive: true });
  const conf = join(prefix, "nginx.conf");
  await Deno.writeTextFile(conf, config);
  const argv = [
    ...pin,
    NGINX,
    ...["-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), "-g", "daemon off;"],
  ];
  return await spawnReady(argv, port, probe, join(prefix, "error.log"));
}

/** Starts webserv on `config` (written to `file`), listening on an ephemeral port. */
export async function startWebserv(
  file: string,
  config: string,
  pin: string[],
  probe: string,
): Promise<Started> {
  await Deno.writeTextFile(file, config);
  const cmd = [Deno.execPath(), "run", "-A", join(REPO, "main.ts"), file];
  return await spawnListening("webserv", pin, cmd, probe);
}

/**
 * GET `path` from 127.0.0.1:`port` over a connection of its own (`Connection: close`) with the
 * extra `headers`, reading the answer to its end within `timeoutMs`; nothing decodes the body.
 */
export async function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const fields = Object.entries({ Host: `127.0.0.1:${port}`, ...headers, Connection: "close" })
      .map(([n, v]) => `${n}: ${v}\r\n`).join("");
    const request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\n${fields}\r\n`);
    for (let off = 0; off < request.length;) off += await conn.write(request.subarray(off));
    const parts: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) throw new Error(`No answer in ${timeoutMs} ms`);
        throw e;
      }
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return parseRawResponse(all);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The upstream's marker field value, with the upstream connection's request count in it. */
const MARKER = /^upstream-nginx conn=(\d+) req=(\d+)$/;

/**
 * Probes a proxy twice: each answer must be 200 with `file`'s bytes and the upstream's marker.
 * Returns "upstream connection reused" or "not reused" (from the marker's request count); throws
 * when the proxy does not proxy.
 */
export async function probeProxy(port: number, path: string, file: Uint8Array): Promise<string> {
  const seen: { conn: string; req: number }[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await rawGet(port, path);
    if (res.status !== 200) throw new Error(`Probe answered ${res.status}`);
    if (!sameBytes(res.body, file)) {
      throw new Error(`Probe body differs from the file (${res.body.length} bytes)`);
    }
    const marker = MARKER.exec(res.headers.get("x-upstream") ?? "");
    if (marker === null) {
      throw new Error(`No upstream marker (X-Upstream: "${res.headers.get("x-upstream") ?? ""}")`);
    }
    seen.push({ conn: marker[1]!, req: Number(marker[2]) });
  }
  const [first, second] = seen as [typeof seen[0], typeof seen[0]];
  return second.conn === first.conn && second.req > first.req
    ? "upstream connection reused"
    : `upstream connection not reused (conn ${first.conn} then ${second.conn})`;
}

// ---------------------------------------------------------------------------------------------
// The run

/** How the proxy bench runs. */
export interface ProxyBenchOptions {
  /** A directory of the bench's own. */
  tmp: string;
  /** The directory holding `file` (the upstream's root). */
  www: string;
  /** The file's name under `www` (1 KiB). */
  file: string;
  /** Prefixes for the proxies (servers' CPU) and for the upstream (the load's CPU), or []. */
  serverPin: string[];
  upstreamPin: string[];
  /** A CPU list for wrk, or null to run it unpinned. */
  cpu: string | null;
  durationSec: number;
  connections: number;
}

/** What the proxy bench found: a row per proxy, and what each probe said. */
export interface ProxyBenchResult {
  rows: RunRow[];
  /** A line per proxy that ran: "webserv: upstream connection reused". */
  probes: string[];
  /** Why the whole bench did not run (the upstream did not start), or null. */
  failure: string | null;
}

/**
 * Starts the upstream once, then each proxy in turn: probe, wrk, stop. A proxy that fails to
 * start or to proxy gets a "failed: …" row.
 */
export async function runProxyBench(options: ProxyBenchOptions): Promise<ProxyBenchResult> {
  const result: ProxyBenchResult = { rows: [], probes: [], failure: null };
  const file = await Deno.readFile(join(options.www, options.file));
  const upstreamPort = freePort();
  let upstream: Started;
  try {
    upstream = await startNginx(
      join(options.tmp, "nginx-upstream"),
      upstreamPort,
      nginxConfig({
        prefix: join(options.tmp, "nginx-upstream"),
        port: upstreamPort,
        http: ["sendfile off;", "open_file_cache max=64;"],
        server: [
          `root ${options.www};`,
          'add_header X-Upstream "upstream-nginx conn=$connection req=$connection_requests";',
        ],
      }),
      options.upstreamPin,
      options.file,
    );
  } catch (e) {
    result.failure = `the upstream nginx did not start: ${(e as Error).message}`;
    return result;
  }
  try {
    const lines = proxyLines(upstreamPort);
    const contenders: { name: string; start: () => Promise<Started> }[] = [
      {
        name: "webserv",
        start: () =>
          startWebserv(
            join(options.tmp, "webserv-proxy.conf"),
            [
              ...lines.http,
              "server {",
              "  listen 127.0.0.1:0;",
              "  access_log off;",
              ...lines.location.map((l) => `  ${l}`),
              "}",
              "",
            ].join("\n"),
            options.serverPin,
            options.file,
          ),
      },
      {
        name: "nginx",
        start: () => {
          const prefix = join(options.tmp, "nginx-proxy");
          const port = freePort();
          const config = nginxConfig({ prefix, port, http: lines.http, server: lines.location });
          return startNginx(prefix, port, config, options.serverPin, options.file);
        },
      },
    ];
    for (const contender of contenders) {
      const row: RunRow = { name: contender.name, run: null, note: null };
      result.rows.push(row);
      console.error(`bench: proxy ${contender.name}…`);
      let started: Started;
      try {
        started = await contender.start();
      } catch (e) {
        row.note = `failed to start: ${(e as Error).message}`;
        console.error(`bench: proxy ${contender.name} ${row.note}`);
        continue;
      }
      try {
        const probe = await probeProxy(started.port, `/${options.file}`, file);
        result.probes.push(`${contender.name}: ${probe}`);
        const load = {
          url: `http://127.0.0.1:${started.port}/${options.file}`,
          connections: options.connections,
          cpu: options.cpu,
        };
        // A fresh Deno process runs its first seconds unoptimised: warm up, then measure.
        await runWrk({ ...load, durationSec: WARM_UP_SEC });
        row.run = await runWrk({ ...load, durationSec: options.durationSec });
      } catch (e) {
        row.note = `failed: ${(e as Error).message}`;
        console.error(`bench: proxy ${contender.name} ${row.note}`);
        const log = (await started.log()).trim();
        if (log !== "") console.error(`bench: proxy ${contender.name} logged:\n${log}`);
      } finally {
        await killGroup(started.child);
      }
    }
  } finally {
    await killGroup(upstream.child);
  }
  return result;
}
