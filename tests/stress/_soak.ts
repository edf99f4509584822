/**
 * `deno task stress --soak N`: rounds of mixed load (wrk on a static page, then siege on the mixed
 * URL list) for N minutes, the server's RSS read after each round. The first round warms the
 * server up and gives the baseline; the RSS after the last round may exceed it by at most 20 %.
 */
import { readRss } from "../bench/_child.ts";
import { runWrk } from "../bench/_wrk.ts";
import { formatRow, problems, type Row } from "./_rows.ts";
import { runSiege } from "./_siege.ts";

/** How much the RSS may grow from the first round to the last (0.2 = 20 %). */
export const MAX_RSS_GROWTH = 0.2;

/** The RSS after a baseline round and the last one, and whether the growth stays within the limit. */
export interface RssGrowth {
  /** The baseline round, counted from 1. */
  firstRound: number;
  firstMiB: number;
  lastMiB: number;
  /** (last - first) / first. */
  growth: number;
  ok: boolean;
}

/**
 * Compares the last round's RSS with that of round `from` (an index; the first by default).
 * Throws with fewer than two rounds.
 */
export function rssGrowth(roundsMiB: number[], maxGrowth = MAX_RSS_GROWTH, from = 0): RssGrowth {
  if (roundsMiB.length < 2) {
    throw new Error(`A soak needs two rounds to compare, got "${roundsMiB.length}"`);
  }
  const base = Math.min(from, roundsMiB.length - 2);
  const firstMiB = roundsMiB[base]!;
  const lastMiB = roundsMiB[roundsMiB.length - 1]!;
  const growth = (lastMiB - firstMiB) / firstMiB;
  return { firstRound: base + 1, firstMiB, lastMiB, growth, ok: growth <= maxGrowth };
}

/** "RSS after round 1 80.0 MiB, after round 12 84.0 MiB: growth +5.0 % (limit +20 %) ok". */
export function formatRssGrowth(g: RssGrowth, rounds: number, maxGrowth = MAX_RSS_GROWTH): string {
  const sign = g.growth < 0 ? "" : "+";
  return `RSS after round ${g.firstRound} ${g.firstMiB.toFixed(1)} MiB, after round ${rounds} ` +
    `${g.lastMiB.toFixed(1)} MiB: growth ${sign}${(g.growth * 100).toFixed(1)} % ` +
    `(limit +${(maxGrowth * 100).toFixed(0)} %) ${g.ok ? "ok" : "FAIL"}`;
}

/** What a soak needs: the running server and the load to put on it. */
export interface SoakOptions {
  minutes: number;
  /** Seconds of wrk, then of siege, in each round. */
  durationSec: number;
  users: number;
  wrkConnections: number;
  /** The static page wrk loads. */
  staticUrl: string;
  /** siege's URL file (the mixed list). */
  urlFile: string;
  /** A CPU list for `taskset -c`, or null to run unpinned. */
  cpu: string | null;
  tmp: string;
  serverPid: number;
  /** True once the server has exited. */
  serverExited(): boolean;
  /** What the server printed on stderr. */
  serverLog(): string;
}

/** One round: wrk, then siege; a run that throws becomes a failed row. */
async function round(options: SoakOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const wrkName = `wrk -c${options.wrkConnections} static page`;
  try {
    const wrk = await runWrk({
      url: options.staticUrl,
      connections: options.wrkConnections,
      durationSec: options.durationSec,
      cpu: options.cpu,
    });
    rows.push({ name: wrkName, wrk });
  } catch (e) {
    rows.push({ name: wrkName, failure: (e as Error).message });
  }
  const siegeName = "siege mixed URL list";
  try {
    const siege = await runSiege({
      urlFile: options.urlFile,
      users: options.users,
      durationSec: options.durationSec,
      cpu: options.cpu,
      tmp: options.tmp,
    });
    rows.push({ name: siegeName, siege });
  } catch (e) {
    rows.push({ name: siegeName, failure: (e as Error).message });
  }
  return rows;
}

/**
 * Runs rounds until `minutes` have passed (at least two), printing each round's runs and the RSS
 * after it, then the growth. Returns the exit code: 1 when the RSS grew past the limit, a run
 * failed or the server exited.
 */
export async function soak(options: SoakOptions): Promise<number> {
  const start = Date.now();
  const deadline = start + options.minutes * 60_000;
  const rssMiB: number[] = [];
  const failed: string[] = [];
  console.log(
    `\nwebserv soak: ${options.minutes} min of rounds (wrk -c${options.wrkConnections} ` +
      `${options.durationSec} s, then siege ${options.users} users ${options.durationSec} s)`,
  );
  while (rssMiB.length < 2 || Date.now() < deadline) {
    const n = rssMiB.length + 1;
    const rows = await round(options);
    const exited = options.serverExited();
    for (const row of rows) {
      console.log(`round ${String(n).padStart(3)}  ${formatRow(row)}`);
      if (problems(row).length > 0) failed.push(`round ${n} ${row.name}`);
    }
    const rss = exited ? null : await readRss(options.serverPid);
    if (rss === null) {
      console.log(`the server exited: ${options.serverLog().trim()}`);
      console.log("FAILED: the server exited during the soak");
      return 1;
    }
    rssMiB.push(rss.rssMiB);
    console.log(
      `round ${String(n).padStart(3)}  RSS ${rss.rssMiB.toFixed(1)} MiB ` +
        `(peak ${rss.peakMiB.toFixed(1)} MiB)`,
    );
  }
  const growth = rssGrowth(rssMiB);
  const elapsed = (Date.now() - start) / 1000;
  console.log(`\n${rssMiB.length} rounds in ${elapsed.toFixed(0)} s`);
  console.log(formatRssGrowth(growth, rssMiB.length));
  if (!growth.ok) failed.push("RSS growth");
  if (failed.length > 0) {
    console.log(`FAILED: ${failed.join(", ")}`);
    return 1;
  }
  console.log("soak: every run 100 % available with no errors, RSS within the limit");
  return 0;
}
