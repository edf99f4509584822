/**
 * `deno task bench`: webserv against a `Deno.serve` file server, Node's http and nginx, one at a
 * time, each pinned to CPU 0 with wrk on CPU 1. Loads a 1 KiB file (50 connections) and a 100 MB
 * file (4 connections), prints a markdown table, webserv's ratios to Deno.serve and nginx, and
 * webserv's memory. Then a trivial Python and PHP CGI script served by webserv and by lighttpd's
 * mod_cgi (8 connections), in a second table with webserv's ratios to lighttpd. Options:
 * `--duration N` (seconds per run, default 5; or BENCH_DURATION).
 */
import { join } from "node:path";
import { CGI_LANGUAGES, runCgiBench } from "./_cgi_bench.ts";
import { formatCgiRatios, formatCgiTable } from "./_cgi_report.ts";
import { isInstalled, killGroup, readRss, withScratchDir } from "./_child.ts";
import { type BenchRow, formatRatios, formatTable } from "./_report.ts";
import { available, CONTENDERS } from "./_servers.ts";
import { runWrk } from "./_wrk.ts";

const SMALL = "1k.bin";
const LARGE = "100m.bin";
const LARGE_SIZE = 100_000_000;
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
/** wrk's connections for a CGI script: each request starts an interpreter. */
const CGI_CONNECTIONS = 8;

/** Seconds per wrk run from `--duration N`, `--duration=N` or BENCH_DURATION. */
function parseDuration(args: string[]): number {
  let text = Deno.env.get("BENCH_DURATION") ?? "5";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--duration") text = args[++i] ?? "";
    else if (arg.startsWith("--duration=")) text = arg.slice("--duration=".length);
    else throw new Error(`Unknown argument "${arg}" (usage: bench.ts [--duration SECONDS])`);
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid duration "${text}"`);
  return n;
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
  try {
    duration = parseDuration(Deno.args);
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

  return await withScratchDir("webserv-bench-", "bench", async (tmp) => {
    const www = join(tmp, "www");
    await writeFiles(www);
    console.error(
      `bench: ${duration}s per run; servers on CPU ${SERVER_CPU}, wrk on CPU ${CLIENT_CPU}`,
    );
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
        const cpu = pinned ? CLIENT_CPU : null;
        row.small = await runWrk({ url: url(SMALL), connections: 50, durationSec: duration, cpu });
        row.large = await runWrk({ url: url(LARGE), connections: 4, durationSec: duration, cpu });
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
    console.log("\nMB = 2^20 bytes (wrk's unit). Noisy machines: compare within one run.\n");
    console.log(formatRatios(rows, ["Deno.serve", "nginx"]));
    if (rss !== null) {
      console.log(
        `webserv memory after the run: RSS ${rss.rssMiB.toFixed(1)} MiB, ` +
          `peak ${rss.peakMiB.toFixed(1)} MiB`,
      );
    }
    const cgiRows = await runCgiBench({
      tmp,
      pin: pin(SERVER_CPU),
      cpu: pinned ? CLIENT_CPU : null,
      durationSec: duration,
      connections: CGI_CONNECTIONS,
    });
    if (cgiRows.length === 0) {
      console.log("\nCGI: skipped, neither python3 nor php-cgi is installed");
    } else {
      console.log(`\nCGI, wrk -c${CGI_CONNECTIONS} -d${duration}s on a script printing "hello":\n`);
      console.log(formatCgiTable(cgiRows, CGI_LANGUAGES));
      console.log(`\n${formatCgiRatios(cgiRows, "lighttpd", CGI_LANGUAGES)}`);
    }
    const failed = [...rows, ...cgiRows].some((r) => r.note?.startsWith("failed"));
    return failed ? 1 : 0;
  });
}

Deno.exit(await main());
