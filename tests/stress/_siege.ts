/** Runs siege in benchmark mode with a resource file of its own and reads its JSON report. */
import { join } from "node:path";
import { spawnGroup } from "../bench/_child.ts";

/** What one siege run measured (siege's own names, in camelCase). */
export interface SiegeResult {
  transactions: number;
  /** Percent: transactions / (transactions + failed transactions). */
  availability: number;
  elapsedTime: number;
  transactionRate: number;
  successfulTransactions: number;
  failedTransactions: number;
  longestTransaction: number;
  /** Lines siege printed as "[error]", "[alert]" or "[fatal]" (socket errors, timeouts). */
  errors: string[];
}

const FIELDS: [keyof SiegeResult, string][] = [
  ["transactions", "transactions"],
  ["availability", "availability"],
  ["elapsedTime", "elapsed_time"],
  ["transactionRate", "transaction_rate"],
  ["successfulTransactions", "successful_transactions"],
  ["failedTransactions", "failed_transactions"],
  ["longestTransaction", "longest_transaction"],
];

/**
 * Reads siege's JSON report (`json_output = true`) out of its standard output and the error lines
 * out of its standard error. Throws when there is no report (siege failed to run).
 */
export function parseSiegeOutput(stdout: string, stderr: string): SiegeResult {
  const from = stdout.indexOf("{");
  const to = stdout.lastIndexOf("}");
  if (from < 0 || to < from) throw new Error(`No JSON report in siege output "${stdout.trim()}"`);
  const json = JSON.parse(stdout.slice(from, to + 1)) as Record<string, unknown>;
  const result: Partial<SiegeResult> = {};
  for (const [key, name] of FIELDS) {
    const value = json[name];
    if (typeof value !== "number") throw new Error(`No "${name}" in siege report`);
    (result as Record<string, number>)[key] = value;
  }
  result.errors = stderr.split("\n").filter((l) => /\[(error|alert|fatal)\]/.test(l));
  return result as SiegeResult;
}

/**
 * The resource file: benchmark mode, no HTML parser (no fetching of page assets), JSON report, no
 * log file, and a new connection per transaction (siege's default; siege 4.0.7 in keep-alive mode
 * fails the request after any server-initiated close, nginx's as well).
 */
export const SIEGE_RC = `verbose = false
quiet = false
json_output = true
show-logfile = false
logging = false
parser = false
protocol = HTTP/1.1
connection = close
benchmark = true
timeout = 30
failures = 1000000
accept-encoding =
`;

/** How one siege run is made. */
export interface SiegeOptions {
  /** One URL, or a URL file (siege's format: `URL`, or `URL POST data`) when `urlFile` is set. */
  url?: string;
  urlFile?: string;
  users: number;
  durationSec: number;
  /** A CPU list for `taskset -c`, or null to run unpinned. */
  cpu: string | null;
  /** A directory for the resource file. */
  tmp: string;
}

/** Runs `siege -b` in its own process group and parses its report. */
export async function runSiege(options: SiegeOptions): Promise<SiegeResult> {
  const rc = join(options.tmp, "siegerc");
  await Deno.writeTextFile(rc, SIEGE_RC);
  const args = [
    `--rc=${rc}`,
    "-b",
    `-c${options.users}`,
    `-t${options.durationSec}S`,
    ...(options.urlFile !== undefined ? [`--file=${options.urlFile}`] : [options.url ?? ""]),
  ];
  const argv = options.cpu === null
    ? ["siege", ...args]
    : ["taskset", "-c", options.cpu, "siege", ...args];
  const child = spawnGroup(argv[0]!, argv.slice(1), { stdout: "piped", stderr: "piped" });
  const out = await child.output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const stderr = decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`siege exited with code "${out.code}": "${(stderr || stdout).trim()}"`);
  }
  return parseSiegeOutput(stdout, stderr);
}
