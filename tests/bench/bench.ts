/**
 * `deno task bench`: webserv against a `Deno.serve` file server, Node's http and nginx, one at a
 * time, each pinned to CPU 0 with wrk on CPU 1. Loads a 1 KiB file (50 connections) and a 100 MB
 * file (4 connections), prints a markdown table, webserv's ratios to Deno.serve and nginx, and
 * webserv's memory. Then:
 * - proxy: the 1 KiB file from an upstream nginx (pinned to CPU 1 with wrk, started once) through
 *   webserv and through nginx (`upstream { keepalive 32; }`, `proxy_http_version 1.1`,
 *   `proxy_set_header Connection ""`), 50 connections; each proxy is probed first (the body and
 *   the upstream's `X-Upstream` field): req/s, p50/p99, errors, webserv/nginx;
 * - compression: a 10 KiB stylesheet with `Accept-Encoding: gzip, br` from webserv (`gzip on;
 *   brotli on;`) and nginx (`gzip on;`, no brotli module), at nginx's and ngx_brotli's default
 *   levels (gzip 1, brotli 6), plus webserv with `Accept-Encoding: gzip`; each probe's
 *   Content-Encoding is in the table ("identity": not compressed);
 * - https: the 1 KiB file (keep-alive, and a new TLS connection per request) and the 100 MB
 *   file over TLS from webserv and nginx with the same certificate (_https_bench.ts);
 * - upload: 1 GiB (64 MiB with --quick) PUT and multipart POST to webserv, PUT to nginx's
 *   dav_methods, MB/s and RSS growth (_upload_bench.ts);
 * - scale: routing in 100 servers × 50 locations against one, loading that file, autoindex of
 *   10,000 files (_scale_bench.ts);
 * - CGI: a trivial Python and PHP script served by webserv and by lighttpd's mod_cgi (8
 *   connections), with webserv's ratios to lighttpd.
 *
 * Options: `--duration N` (seconds per run, default 5; or BENCH_DURATION), `--quick` (1 s per
 * run: a smoke test of every part, not figures), `--only LIST` (a comma
 * list of static, proxy, compression, https, upload, scale, cgi; default all).
 */
import { join } from "node:path";
import { CGI_LANGUAGES, runCgiBench } from "./_cgi_bench.ts";
import { formatCgiRatios, formatCgiTable } from "./_cgi_report.ts";
import { isInstalled, killGroup, readRss, withScratchDir } from "./_child.ts";
import { barChartSvg, type BenchRow, formatRatios, formatTable, runJson } from "./_report.ts";
import { GZIP_ROWS, runGzipBench } from "./_gzip_bench.ts";
import { formatHttpsRatios, runHttpsBench } from "./_https_bench.ts";
import { formatUploadTable, runUploadBench } from "./_upload_bench.ts";
import { formatScale, runScaleBench } from "./_scale_bench.ts";
import { formatRunRatio, formatRunTable, runProxyBench } from "./_proxy_bench.ts";
import { available, CONTENDERS } from "./_servers.ts";
import { runWrk } from "./_wrk.ts";

/** Where the JSON report and the SVG chart go (tests/output/ is not committed). */
const OUTPUT = join(import.meta.dirname ?? ".", "..", "output");
const SMALL = "1k.bin";
const LARGE = "100m.bin";
const LARGE_SIZE = 100_000_000;
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
/** wrk's connections for a CGI script: each request starts an interpreter. */
const CGI_CONNECTIONS = 8;
/** wrk's connections through the proxies and on the stylesheet. */
const PROXY_CONNECTIONS = 50;
const GZIP_CONNECTIONS = 50;

/** The parts of the bench, in the order they run. */
const PARTS = ["static", "proxy", "compression", "https", "upload", "scale", "cgi"] as const;
type Part = typeof PARTS[number];

const USAGE = `usage: bench.ts [--quick | --duration SECONDS] [--only ${PARTS.join(",")}]`;

/**
 * Seconds per wrk run from `--duration N`, `--duration=N` or BENCH_DURATION, and the parts to run
 * from `--only a,b` (default all).
 */
function parseArgs(args: string[]): { duration: number; only: Set<Part> } {
  let text = Deno.env.get("BENCH_DURATION") ?? "5";
  let only: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--quick") text = "1";
    else if (arg === "--duration") text = args[++i] ?? "";
    else if (arg.startsWith("--duration=")) text = arg.slice("--duration=".length);
    else if (arg === "--only") only = args[++i] ?? "";
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length);
    else throw new Error(`Unknown argument "${arg}" (${USAGE})`);
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid duration "${text}"`);
  const parts = new Set<Part>();
  for (const name of only === null ? PARTS : only.split(",")) {
    if (!(PARTS as readonly string[]).includes(name)) {
      throw new Error(`Unknown part "${name}" (${USAGE})`);
    }
    parts.add(name as Part);
  }
  return { duration: n, only: parts };
}

/** The 1 KiB and 100 MB files, the big one written 1 MiB at a time. */
async function writeFiles(www: string): Promise<void> {
  await Deno.mkdir(www, { recursive: true });
  const small = new Uint8Array(1024);
  for (let i = 0; i < small.length; i++) small[i] = 97 + (i % 26);
  await Deno.writeFile(join(www, SMALL), small);
  const chunk = new Uint8Array(1 << 20).fill(120);
  using file = await Deno.open(join(www, LARGE), { write: true, create: true, truncate: true });
  for (let left = LARGE_SIZE; left > 0;) {
    const part = chunk.subarray(0, Math.min(left, chunk.length));
    for (let off = 0; off < part.length;) off += await file.write(part.subarray(off));
    left -= part.length;
  }
}

async function main(): Promise<number> {
  let duration: number;
  let only: Set<Part>;
  try {
    ({ duration, only } = parseArgs(Deno.args));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (!(await isInstalled("wrk"))) {
    console.error("wrk is not installed: apt-get install wrk");
    return 1;
  }
  const pinned = await isInstalled("taskset");
  if (!pinned) console.error("bench: taskset not found, running unpinned");
  const pin = (cpu: string) => (pinned ? ["taskset", "-c", cpu] : []);
  const cpu = pinned ? CLIENT_CPU : null;

  return await withScratchDir("webserv-bench-", "bench", async (tmp) => {
    const www = join(tmp, "www");
    await writeFiles(www);
    console.error(
      `bench: ${duration}s per run; servers on CPU ${SERVER_CPU}, wrk on CPU ${CLIENT_CPU}`,
    );
    let failed = false;
    if (only.has("static")) failed = await staticBench(www, tmp, duration, pin, cpu) || failed;
    if (only.has("proxy")) failed = await proxyBench(www, tmp, duration, pin, cpu) || failed;
    if (only.has("compression")) failed = await gzipBench(tmp, duration, pin, cpu) || failed;
    if (only.has("https")) failed = await httpsBench(www, tmp, duration, pin, cpu) || failed;
    if (only.has("upload")) {
      // 1 GiB, or 64 MiB for a quick run.
      const size = (duration === 1 ? 64 : 1024) * 2 ** 20;
      const rows = await runUploadBench({ tmp, pin: pin(SERVER_CPU), size });
      console.log(`\nUploads of ${size / 2 ** 20} MiB, one client on CPU ${CLIENT_CPU}:\n`);
      console.log(formatUploadTable(rows));
      failed = rows.some((r) => r.note?.startsWith("failed")) || failed;
    }
    if (only.has("scale")) {
      const result = await runScaleBench({ tmp, pin: pin(SERVER_CPU), cpu, durationSec: duration });
      console.log(
        `\nScale, wrk -c50 -d${duration}s on a \`return 200\`, Host naming the server:\n`,
      );
      console.log(formatScale(result));
      failed = result.notes.length > 0 || failed;
    }
    if (only.has("cgi")) {
      const cgiRows = await runCgiBench({
        tmp,
        pin: pin(SERVER_CPU),
        cpu,
        durationSec: duration,
        connections: CGI_CONNECTIONS,
      });
      if (cgiRows.length === 0) {
        console.log("\nCGI: skipped, neither python3 nor php-cgi is installed");
      } else {
        console.log(
          `\nCGI, wrk -c${CGI_CONNECTIONS} -d${duration}s on a script printing "hello":\n`,
        );
        console.log(formatCgiTable(cgiRows, CGI_LANGUAGES));
        console.log(`\n${formatCgiRatios(cgiRows, "lighttpd", CGI_LANGUAGES)}`);
      }
      failed = cgiRows.some((r) => r.note?.startsWith("failed")) || failed;
    }
    return failed ? 1 : 0;
  });
}

type Pin = (cpu: string) => string[];

/** The static files table; true when a run failed. */
async function staticBench(
  www: string,
  tmp: string,
  duration: number,
  pin: Pin,
  cpu: string | null,
): Promise<boolean> {
  const rows: BenchRow[] = [];
  let rss: { rssMiB: number; peakMiB: number } | null = null;
  for (const contender of CONTENDERS) {
    const row: BenchRow = { name: contender.name, small: null, large: null, note: null };
    rows.push(row);
    if (!(await available(contender))) {
      row.note = `skipped: "${contender.binary}" not installed`;
      console.error(`bench: ${contender.name} ${row.note}`);
      continue;
    }
    console.error(`bench: ${contender.name}…`);
    let started;
    try {
      started = await contender.start(www, tmp, pin(SERVER_CPU), SMALL);
    } catch (e) {
      row.note = `failed to start: ${(e as Error).message}`;
      console.error(`bench: ${contender.name} ${row.note}`);
      continue;
    }
    try {
      const url = (file: string) => `http://127.0.0.1:${started.port}/${file}`;
      // A second of load first, not reported (webserv's JIT warms up).
      await runWrk({ url: url(SMALL), connections: 50, durationSec: 1, cpu });
      row.small = await runWrk({ url: url(SMALL), connections: 50, durationSec: duration, cpu });
      if (contender.tails) {
        // The latency tail with many connections (DENO_TOKIO_EVENT_INTERVAL=1 keeps it flat).
        row.tail200 = await runWrk({
          url: url(SMALL),
          connections: 200,
          durationSec: duration,
          cpu,
        });
        row.tail1000 = await runWrk({
          url: url(SMALL),
          connections: 1000,
          durationSec: duration,
          cpu,
        });
      }
      if (!contender.smallOnly) {
        row.large = await runWrk({ url: url(LARGE), connections: 4, durationSec: duration, cpu });
      }
      if (contender.name === "webserv") rss = await readRss(started.child.pid);
    } catch (e) {
      row.note = `failed: ${(e as Error).message}`;
      console.error(`bench: ${contender.name} ${row.note}`);
      const log = (await started.log()).trim();
      if (log !== "") console.error(`bench: ${contender.name} logged:\n${log}`);
    } finally {
      await killGroup(started.child);
    }
  }
  console.log(formatTable(rows));
  console.log(
    "\nwrk -t1 --latency; 1 KiB at -c50 (-c200, -c1000: the latency tail), 100 MB at -c4. " +
      "MB = 2^20 bytes (wrk's unit). Noisy machines: compare within one run.\n",
  );
  console.log(
    formatRatios(rows, ["nginx tuned", "nginx", "lighttpd", "raw Deno.listen", "Deno.serve"]),
  );
  console.log(formatRatios(rows, ["nginx tuned, 2 workers"], "webserv, 2 workers"));
  await writeOutput(rows, rss);
  if (rss !== null) {
    console.log(
      `webserv memory after the run: RSS ${rss.rssMiB.toFixed(1)} MiB, ` +
        `peak ${rss.peakMiB.toFixed(1)} MiB`,
    );
  }
  return rows.some((r) => r.note?.startsWith("failed"));
}

/** The HTTPS table; true when a run failed. */
async function httpsBench(
  www: string,
  tmp: string,
  duration: number,
  pin: Pin,
  cpu: string | null,
): Promise<boolean> {
  if (!(await isInstalled("/usr/sbin/nginx")) || !(await isInstalled("openssl"))) {
    console.log("\nHTTPS: skipped, nginx or openssl is not installed");
    return false;
  }
  const rows = await runHttpsBench({
    tmp,
    www,
    small: SMALL,
    large: LARGE,
    pin: pin(SERVER_CPU),
    cpu,
    durationSec: duration,
  });
  console.log(
    `\nHTTPS, wrk -d${duration}s, the same P-256 certificate (1 KiB: -c50; 100 MB: -c4):\n`,
  );
  console.log(formatRunTable(rows, "MB/s"));
  console.log(`\n${formatHttpsRatios(rows)}`);
  return rows.some((r) => r.note?.startsWith("failed"));
}

/** The static rows as tests/output/bench.json and a chart of 1 KiB req/s as bench.svg. */
async function writeOutput(
  rows: BenchRow[],
  rss: { rssMiB: number; peakMiB: number } | null,
): Promise<void> {
  await Deno.mkdir(OUTPUT, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    static: rows.map((r) => ({
      name: r.name,
      note: r.note,
      small: runJson(r.small),
      tail200: runJson(r.tail200),
      tail1000: runJson(r.tail1000),
      large: runJson(r.large),
    })),
    webservRss: rss,
  };
  await Deno.writeTextFile(join(OUTPUT, "bench.json"), JSON.stringify(json, null, 2) + "\n");
  const bars: [string, number][] = rows
    .filter((r) => r.small !== null)
    .map((r) => [r.name, r.small!.requestsPerSec]);
  await Deno.writeTextFile(
    join(OUTPUT, "bench.svg"),
    barChartSvg("1 KiB file, wrk -t1 -c50, one core (req/s)", "req/s", bars),
  );
  console.log(`\nwritten: ${join(OUTPUT, "bench.json")}, ${join(OUTPUT, "bench.svg")}`);
}

/** The reverse-proxy table; true when a run failed. */
async function proxyBench(
  www: string,
  tmp: string,
  duration: number,
  pin: Pin,
  cpu: string | null,
): Promise<boolean> {
  if (!(await isInstalled("/usr/sbin/nginx"))) {
    console.log("\nProxy: skipped, nginx (the upstream) is not installed");
    return false;
  }
  const result = await runProxyBench({
    tmp,
    www,
    file: SMALL,
    serverPin: pin(SERVER_CPU),
    upstreamPin: pin(CLIENT_CPU),
    cpu,
    durationSec: duration,
    connections: PROXY_CONNECTIONS,
  });
  console.log(
    `\nReverse proxy, wrk -c${PROXY_CONNECTIONS} -d${duration}s on the 1 KiB file from an ` +
      `upstream nginx (CPU ${CLIENT_CPU}, shared with wrk), keepalive 32:\n`,
  );
  if (result.failure !== null) {
    console.log(`failed: ${result.failure}`);
    return true;
  }
  console.log(formatRunTable(result.rows));
  console.log(`\n${formatRunRatio(result.rows, "webserv", "nginx")}`);
  for (const probe of result.probes) console.log(`probe ${probe}`);
  return result.rows.some((r) => r.note?.startsWith("failed"));
}

/** The compression table; true when a run failed. */
async function gzipBench(
  tmp: string,
  duration: number,
  pin: Pin,
  cpu: string | null,
): Promise<boolean> {
  if (!(await isInstalled("/usr/sbin/nginx"))) {
    console.log("\nCompression: skipped, nginx is not installed");
    return false;
  }
  const result = await runGzipBench({
    tmp,
    pin: pin(SERVER_CPU),
    cpu,
    durationSec: duration,
    connections: GZIP_CONNECTIONS,
  });
  console.log(
    `\nCompression, wrk -c${GZIP_CONNECTIONS} -d${duration}s on a 10 KiB stylesheet ` +
      `(gzip_comp_level 1, brotli_comp_level 6; node:zlib makes it ${result.sizes.gzip1} ` +
      `bytes gzipped, ${result.sizes.br6} brotli):\n`,
  );
  console.log(formatRunTable(result.rows, "encoding"));
  const [brotli, gzip, nginx] = GZIP_ROWS as [string, string, string];
  console.log(`\n${formatRunRatio(result.rows, brotli, nginx)}`);
  console.log(formatRunRatio(result.rows, gzip, nginx));
  for (const note of result.notes) console.log(`probe ${note}`);
  return result.rows.some((r) => r.note?.startsWith("failed"));
}

Deno.exit(await main());
