/** The bench's markdown report: one row per contender, then webserv's ratios to the baselines. */
import type { WrkResult } from "./_wrk.ts";

/** What the bench measured for one contender, or why it did not. */
export interface BenchRow {
  name: string;
  small: WrkResult | null;
  large: WrkResult | null;
  /** "skipped: …" or "failed: …" when a run is missing. */
  note: string | null;
}

/** The errors of some runs summed up ("non-2xx 3, read 1"), or "0". */
export function errorsOf(results: (WrkResult | null)[]): string {
  let non2xx = 0;
  const socket = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const r of results) {
    if (r === null) continue;
    non2xx += r.non2xx;
    for (const k of Object.keys(socket) as (keyof typeof socket)[]) socket[k] += r.socketErrors[k];
  }
  const parts = non2xx === 0 ? [] : [`non-2xx ${non2xx}`];
  for (const [k, n] of Object.entries(socket)) if (n !== 0) parts.push(`${k} ${n}`);
  return parts.length === 0 ? "0" : parts.join(", ");
}

function fixed(n: number | undefined, digits: number): string {
  return n === undefined ? "–" : n.toFixed(digits);
}

/** The markdown table of results. */
export function formatTable(rows: BenchRow[]): string {
  const lines = [
    "| server | 1 KiB req/s | 1 KiB p99 ms | 100 MB MB/s | errors |",
    "|---|---:|---:|---:|---|",
  ];
  for (const row of rows) {
    const errors = row.note ?? errorsOf([row.small, row.large]);
    lines.push(
      `| ${row.name} | ${fixed(row.small?.requestsPerSec, 0)} | ` +
        `${fixed(row.small?.latencyMs.get("99%"), 2)} | ${fixed(row.large?.mbPerSec, 0)} | ` +
        `${errors} |`,
    );
  }
  return lines.join("\n");
}

/** "webserv/X: 1 KiB 0.85×, 100 MB 0.40×" lines for each baseline that ran. */
export function formatRatios(rows: BenchRow[], baselines: string[]): string {
  const ours = rows.find((r) => r.name === "webserv");
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
  const lines: string[] = [];
  for (const name of baselines) {
    const other = rows.find((r) => r.name === name);
    if (ours === undefined || other === undefined) continue;
    lines.push(
      `webserv/${name}: 1 KiB ${ratio(ours.small?.requestsPerSec, other.small?.requestsPerSec)}` +
        `, 100 MB ${ratio(ours.large?.mbPerSec, other.large?.mbPerSec)}`,
    );
  }
  return lines.join("\n");
}
