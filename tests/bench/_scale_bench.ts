/**
 * The scale part of `deno task bench`: costs that should grow with the work, not with the
 * configuration's size.
 * - Routing: `return 200` from a config of one server with one location, against one of 100
 *   servers × 50 locations (25 prefix, 25 regex), asked for the last server's last regex
 *   location (the longest search): req/s of each, and the ratio.
 * - Loading: `loadConfig` (parse, merge, checks) of the 100-server file, ms (best of 5).
 * - autoindex: a directory of 10,000 files listed (`autoindex on`, streamed): ms to the first
 *   byte and to the last (best of 5 each).
 */
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { killGroup } from "./_child.ts";
import { runWrkWithHeaders } from "./_gzip_bench.ts";
import { startWebserv } from "./_proxy_bench.ts";
import type { WrkResult } from "./_wrk.ts";

export const SERVERS = 100;
export const LOCATIONS = 50;
const FILES = 10_000;

/**
 * A config of `servers` servers with `locations` locations each (half prefix, half regex), and
 * `extra` in the first one.
 */
export function scaleConfig(servers: number, locations: number, www: string, extra = ""): string {
  const lines = ["access_log off;"];
  for (let s = 0; s < servers; s++) {
    lines.push("server {", "  listen 127.0.0.1:0;", `  server_name s${s}.test;`, `  root ${www};`);
    for (let l = 0; l < locations; l++) {
      lines.push(
        l % 2 === 0
          ? `  location /p${l}/ { return 200 "p${l}"; }`
          : `  location ~ ^/r${l}/[a-z]+\\.html$ { return 200 "r${l}"; }`,
      );
    }
    lines.push(
      '  location = /probe { return 200 "probe"; }',
      ...(s === 0 && extra ? [extra] : []),
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}

export interface ScaleResult {
  small: WrkResult | null;
  large: WrkResult | null;
  loadMs: number | null;
  autoindexMs: number | null;
  autoindexFirstMs: number | null;
  notes: string[];
}

async function best(times: number, fn: () => Promise<void>): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    low = Math.min(low, performance.now() - t0);
  }
  return low;
}

export async function runScaleBench(
  options: { tmp: string; pin: string[]; cpu: string | null; durationSec: number },
): Promise<ScaleResult> {
  const { tmp, pin, cpu, durationSec } = options;
  const www = join(tmp, "scale-www");
  const listing = join(www, "many");
  await Deno.mkdir(listing, { recursive: true });
  for (let i = 0; i < FILES; i++) await Deno.writeTextFile(join(listing, `f${i}.txt`), "x");
  const result: ScaleResult = {
    small: null,
    large: null,
    loadMs: null,
    autoindexMs: null,
    autoindexFirstMs: null,
    notes: [],
  };
  const last = LOCATIONS - 1 - ((LOCATIONS - 1) % 2 === 0 ? 1 : 0);
  const cases = [
    {
      key: "small" as const,
      config: scaleConfig(1, 2, www, "  location /many/ { autoindex on; }"),
      host: "s0.test",
      path: "/r1/page.html",
    },
    {
      key: "large" as const,
      config: scaleConfig(SERVERS, LOCATIONS, www),
      host: `s${SERVERS - 1}.test`,
      path: `/r${last}/page.html`,
    },
  ];
  for (const c of cases) {
    console.error(`bench: scale ${c.key}…`);
    const file = join(tmp, `scale-${c.key}.conf`);
    let started;
    try {
      started = await startWebserv(file, c.config, pin, "probe");
    } catch (e) {
      result.notes.push(`${c.key}: failed to start: ${(e as Error).message}`);
      continue;
    }
    try {
      const url = `http://127.0.0.1:${started.port}${c.path}`;
      const headers = { Host: c.host };
      await runWrkWithHeaders(url, 50, 1, headers, cpu);
      result[c.key] = await runWrkWithHeaders(url, 50, durationSec, headers, cpu);
      if (c.key === "small") {
        let first = Infinity;
        result.autoindexMs = await best(5, async () => {
          const t0 = performance.now();
          const res = await fetch(`http://127.0.0.1:${started.port}/many/`);
          const reader = res.body!.getReader();
          let text = "";
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            if (text === "") first = Math.min(first, performance.now() - t0);
            text += new TextDecoder().decode(r.value);
          }
          if (!text.includes(`f${FILES - 1}.txt`)) throw new Error("autoindex: a file is missing");
        });
        result.autoindexFirstMs = first;
      } else {
        result.loadMs = await best(5, async () => {
          await loadConfig(file);
        });
      }
    } catch (e) {
      result.notes.push(`${c.key}: failed: ${(e as Error).message}`);
    } finally {
      await killGroup(started.child);
    }
  }
  return result;
}

export function formatScale(result: ScaleResult): string {
  const rps = (r: WrkResult | null) => r?.requestsPerSec.toFixed(0) ?? "–";
  const ratio = result.small !== null && result.large !== null
    ? `${(result.large.requestsPerSec / result.small.requestsPerSec).toFixed(2)}×`
    : "–";
  return [
    "| case | figure |",
    "|---|---:|",
    `| 1 server, 2 locations: req/s | ${rps(result.small)} |`,
    `| ${SERVERS} servers × ${LOCATIONS} locations, the last regex of the last: req/s | ${
      rps(result.large)
    } |`,
    `| large/small | ${ratio} |`,
    `| loadConfig of the ${SERVERS}-server file: ms | ${result.loadMs?.toFixed(1) ?? "–"} |`,
    `| autoindex of ${FILES} files: ms to the first byte | ${
      result.autoindexFirstMs?.toFixed(1) ?? "–"
    } |`,
    `| autoindex of ${FILES} files: ms to the last byte | ${
      result.autoindexMs?.toFixed(1) ?? "–"
    } |`,
    ...result.notes.map((n) => `| ${n} | |`),
  ].join("\n");
}
