/**
 * `deno task stress --hostile N`: N minutes of rounds of mutated requests (the fuzz test's
 * mutator, several clients at once), the server's RSS read after each round. The heap sizes itself
 * to the load in the first rounds; from the end of the first third of the run on, the RSS may grow
 * by at most 20 % (it levels off). A normal request after every batch must still get 200.
 */
import { readRss } from "../bench/_child.ts";
import { rawRequest } from "../integration/_client.ts";
import { mutate, type Outcome, prng, runCase, SEEDS } from "../integration/_fuzz.ts";
import { formatRssGrowth, rssGrowth } from "./_soak.ts";

const SEED = 20261201;
const BATCH = 50;

export interface HostileOptions {
  minutes: number;
  /** Seconds per round. */
  roundSec: number;
  /** Clients sending mutated requests at once. */
  clients: number;
  port: number;
  serverPid: number;
  serverExited(): boolean;
  serverLog(): string;
}

/** What one round saw. */
export interface RoundTally {
  cases: number;
  /** Cases that timed out, broke a response, or got a 5xx other than 501 and 505. */
  odd: string[];
  /** Normal requests (one per batch) that did not get 200. */
  unavailable: number;
}

/** Whether an outcome is a bug: a hang, a broken response, or a 5xx the input did not call for. */
export function isOdd(outcome: Outcome): boolean {
  if (outcome === "timeout" || outcome.startsWith("broken")) return true;
  return outcome.split("+").some((s) => /^5\d\d$/.test(s) && s !== "501" && s !== "505");
}

/** The round whose RSS is the baseline: the end of the first third (index). */
export function baselineRound(rounds: number): number {
  return Math.max(0, Math.ceil(rounds / 3) - 1);
}

async function round(options: HostileOptions, random: () => number): Promise<RoundTally> {
  const tally: RoundTally = { cases: 0, odd: [], unavailable: 0 };
  const until = Date.now() + options.roundSec * 1000;
  await Promise.all(Array.from({ length: options.clients }, async () => {
    while (Date.now() < until) {
      for (let i = 0; i < BATCH; i++) {
        const input = mutate(SEEDS[Math.floor(random() * SEEDS.length)]!, random);
        const outcome = await runCase(options.port, input);
        tally.cases++;
        if (isOdd(outcome) && tally.odd.length < 10) {
          tally.odd.push(`${outcome}: ${JSON.stringify(new TextDecoder("latin1").decode(input))}`);
        }
      }
      const ok = await rawRequest(options.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .catch(() => null);
      if (ok?.status !== 200) tally.unavailable++;
    }
  }));
  return tally;
}

/** Runs the rounds, printing each; returns the exit code (1 on any failure or RSS growth). */
export async function hostileSoak(options: HostileOptions): Promise<number> {
  const random = prng(SEED);
  const deadline = Date.now() + options.minutes * 60_000;
  const rssMiB: number[] = [];
  const failed: string[] = [];
  let cases = 0;
  console.log(
    `\nwebserv hostile-input soak: ${options.minutes} min of ${options.roundSec} s rounds, ` +
      `${options.clients} clients sending mutated requests (seed ${SEED})`,
  );
  while (rssMiB.length < 3 || Date.now() < deadline) {
    const n = rssMiB.length + 1;
    const tally = await round(options, random);
    cases += tally.cases;
    const rss = options.serverExited() ? null : await readRss(options.serverPid);
    if (rss === null) {
      console.log(`the server exited: ${options.serverLog().trim()}`);
      console.log("FAILED: the server exited during the hostile-input soak");
      return 1;
    }
    rssMiB.push(rss.rssMiB);
    console.log(
      `round ${String(n).padStart(3)}  ${tally.cases} cases, ${tally.odd.length} odd, ` +
        `${tally.unavailable} normal requests failed; RSS ${rss.rssMiB.toFixed(1)} MiB`,
    );
    for (const line of tally.odd) console.log(`  ${line.slice(0, 200)}`);
    if (tally.odd.length > 0 || tally.unavailable > 0) failed.push(`round ${n}`);
  }
  const growth = rssGrowth(rssMiB, 0.2, baselineRound(rssMiB.length));
  console.log(`\n${rssMiB.length} rounds, ${cases} mutated requests`);
  console.log(formatRssGrowth(growth, rssMiB.length));
  if (!growth.ok) failed.push("RSS growth");
  if (failed.length > 0) {
    console.log(`FAILED: ${failed.join(", ")}`);
    return 1;
  }
  console.log("hostile-input soak: no hang, no unexpected 5xx, always available, RSS levelled off");
  return 0;
}
