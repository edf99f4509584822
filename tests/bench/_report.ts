/** The bench's markdown report: one row per contender, then webserv's ratios to the baselines. */
import type { WrkResult } from "./_wrk.ts";

/** What the bench measured for one contender, or why it did not. */
export interface BenchRow {
  name: string;
  small: WrkResult | null;
  large: WrkResult | null;
  /** The 1 KiB file at -c200 and -c1000 (the latency tail), for the servers measured so. */
  tail200?: WrkResult | null;
  tail1000?: WrkResult | null;
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

/** The markdown table of results; the -c200/-c1000 columns when some row has them. */
export function formatTable(rows: BenchRow[]): string {
  const tails = rows.some((r) => r.tail200 !== undefined || r.tail1000 !== undefined);
  const lines = tails
    ? [
      "| server | 1 KiB req/s | 1 KiB p99 ms | -c200 req/s | -c200 p99 ms | -c1000 req/s | " +
      "-c1000 p99 ms | 100 MB MB/s | errors |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    : [
      "| server | 1 KiB req/s | 1 KiB p99 ms | 100 MB MB/s | errors |",
      "|---|---:|---:|---:|---|",
    ];
  for (const row of rows) {
    const errors = row.note ??
      errorsOf([row.small, row.large, row.tail200 ?? null, row.tail1000 ?? null]);
    const tail = (r: WrkResult | null | undefined) =>
      `${fixed(r?.requestsPerSec, 0)} | ${fixed(r?.latencyMs.get("99%"), 2)} | `;
    lines.push(
      `| ${row.name} | ${fixed(row.small?.requestsPerSec, 0)} | ` +
        `${fixed(row.small?.latencyMs.get("99%"), 2)} | ` +
        (tails ? tail(row.tail200) + tail(row.tail1000) : "") +
        `${fixed(row.large?.mbPerSec, 0)} | ${errors} |`,
    );
  }
  return lines.join("\n");
}

/** A run as the JSON report holds it. */
export function runJson(r: WrkResult | null | undefined): Record<string, unknown> | null {
  if (r === null || r === undefined) return null;
  return {
    requestsPerSec: r.requestsPerSec,
    mbPerSec: r.mbPerSec,
    latencyMs: Object.fromEntries(r.latencyMs),
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A horizontal bar chart as SVG (no plotting dependency): one bar per `[label, value]`, the first
 * highlighted, values printed at the bars' ends.
 */
export function barChartSvg(title: string, unit: string, bars: [string, number][]): string {
  const width = 640;
  const left = 150;
  const barHeight = 22;
  const gap = 8;
  const top = 36;
  const height = top + bars.length * (barHeight + gap) + 10;
  const max = Math.max(1, ...bars.map(([, v]) => v));
  const scale = (width - left - 90) / max;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  bars.forEach(([label, value], i) => {
    const y = top + i * (barHeight + gap);
    const w = Math.max(1, Math.round(value * scale));
    const fill = i === 0 ? "#2f6fdb" : "#9aa5b1";
    parts.push(
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${left}" y="${y}" width="${w}" height="${barHeight}" fill="${fill}"/>`,
      `<text x="${left + w + 6}" y="${y + 16}">${Math.round(value)} ${escapeXml(unit)}</text>`,
    );
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}

/**
 * "webserv/X: 1 KiB 0.85×, 100 MB 0.40×" lines for each baseline that ran (and p99 ratios at
 * -c200/-c1000 when both have them); `name` is the row to compare.
 */
export function formatRatios(rows: BenchRow[], baselines: string[], name = "webserv"): string {
  const ours = rows.find((r) => r.name === name);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
  const lines: string[] = [];
  for (const baseline of baselines) {
    const other = rows.find((r) => r.name === baseline);
    if (ours === undefined || other === undefined) continue;
    const p99 = (r: WrkResult | null | undefined) => r?.latencyMs.get("99%");
    const tails = ours.tail200 !== undefined && other.tail200 !== undefined
      ? `, p99 -c200 ${ratio(p99(ours.tail200), p99(other.tail200))}` +
        `, p99 -c1000 ${ratio(p99(ours.tail1000), p99(other.tail1000))}`
      : "";
    lines.push(
      `${name}/${baseline}: 1 KiB ${
        ratio(ours.small?.requestsPerSec, other.small?.requestsPerSec)
      }` +
        `, 100 MB ${ratio(ours.large?.mbPerSec, other.large?.mbPerSec)}${tails}`,
    );
  }
  return lines.join("\n");
}
