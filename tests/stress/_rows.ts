/** One stress run's line: what siege or wrk measured, or why the run failed. */
import type { WrkResult } from "../bench/_wrk.ts";
import type { SiegeResult } from "./_siege.ts";

/** What one run measured (siege or wrk), or why it did not. */
export interface Row {
  name: string;
  siege?: SiegeResult;
  wrk?: WrkResult;
  failure?: string;
}

/** Problems a row shows; none means it passed. */
export function problems(row: Row): string[] {
  const out: string[] = [];
  if (row.failure !== undefined) out.push(row.failure);
  if (row.siege !== undefined) {
    const s = row.siege;
    if (s.availability < 100) out.push(`availability ${s.availability} %`);
    if (s.failedTransactions > 0) out.push(`${s.failedTransactions} failed transactions`);
    if (s.errors.length > 0) out.push(`${s.errors.length} siege errors`);
    if (s.transactions === 0) out.push("no transactions");
  }
  if (row.wrk !== undefined) {
    const e = row.wrk.socketErrors;
    const sum = e.connect + e.read + e.write + e.timeout;
    if (sum > 0) {
      out.push(
        `socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`,
      );
    }
    if (row.wrk.non2xx > 0) out.push(`${row.wrk.non2xx} non-2xx/3xx responses`);
  }
  return out;
}

/** The row on one line: its figures, then "ok" or "FAIL: " and its problems. */
export function formatRow(row: Row): string {
  const verdict = problems(row);
  const status = verdict.length === 0 ? "ok" : `FAIL: ${verdict.join("; ")}`;
  if (row.siege !== undefined) {
    const s = row.siege;
    return `${row.name.padEnd(26)} availability ${s.availability.toFixed(2).padStart(6)} %  ` +
      `transactions ${String(s.transactions).padStart(8)}  failed ${s.failedTransactions}  ` +
      `errors ${s.errors.length}  ${s.transactionRate.toFixed(0)}/s  ` +
      `longest ${s.longestTransaction.toFixed(2)} s  ${status}`;
  }
  if (row.wrk !== undefined) {
    const w = row.wrk;
    const e = w.socketErrors;
    return `${row.name.padEnd(26)} ${w.requestsPerSec.toFixed(0)} req/s  non-2xx ${w.non2xx}  ` +
      `socket errors connect ${e.connect} read ${e.read} write ${e.write} timeout ${e.timeout}  ` +
      `p99 ${w.latencyMs.get("99%")?.toFixed(1) ?? "?"} ms  ${status}`;
  }
  return `${row.name.padEnd(26)} ${status}`;
}
