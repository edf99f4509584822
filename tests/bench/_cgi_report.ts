/** The CGI bench's markdown report: requests/s per script language, then webserv's ratios. */
import { errorsOf } from "./_report.ts";
import type { WrkResult } from "./_wrk.ts";

/** What the CGI bench measured for one server, or why it did not. */
export interface CgiRow {
  name: string;
  /** One run per script language ("python", "php"); a language missing here did not run. */
  runs: Map<string, WrkResult>;
  /** "skipped: …" or "failed: …" when the server did not run. */
  note: string | null;
}

function rate(row: CgiRow | undefined, language: string): number | undefined {
  return row?.runs.get(language)?.requestsPerSec;
}

/** The markdown table: server, req/s for each language, errors. */
export function formatCgiTable(rows: CgiRow[], languages: string[]): string {
  const lines = [
    `| server | ${languages.map((l) => `${l} req/s`).join(" | ")} | errors |`,
    `|---|${languages.map(() => "---:|").join("")}---|`,
  ];
  for (const row of rows) {
    const cells = languages.map((l) => rate(row, l)?.toFixed(1) ?? "–");
    const errors = row.note ?? errorsOf([...row.runs.values()]);
    lines.push(`| ${row.name} | ${cells.join(" | ")} | ${errors} |`);
  }
  return lines.join("\n");
}

/** "webserv/lighttpd: python 0.95×, php 1.02×", with "–" where either run is missing. */
export function formatCgiRatios(rows: CgiRow[], baseline: string, languages: string[]): string {
  const ours = rows.find((r) => r.name === "webserv");
  const other = rows.find((r) => r.name === baseline);
  const ratio = (language: string) => {
    const a = rate(ours, language);
    const b = rate(other, language);
    return a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
  };
  return `webserv/${baseline}: ${languages.map((l) => `${l} ${ratio(l)}`).join(", ")}`;
}
