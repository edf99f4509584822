/** Runs wrk and reads the figures the bench reports out of its text output. */
import { spawnGroup } from "./_child.ts";

/** What one wrk run measured. */
export interface WrkResult {
  requestsPerSec: number;
  /** Transfer/sec in MB (2^20 bytes, wrk's unit) per second. */
  mbPerSec: number;
  /** Latency percentiles from `--latency` in milliseconds ("50%" → 1.2); empty without it. */
  latencyMs: Map<string, number>;
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

const UNITS: Record<string, number> = {
  B: 1 / 2 ** 20,
  KB: 1 / 2 ** 10,
  MB: 1,
  GB: 2 ** 10,
  TB: 2 ** 20,
};
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A size as wrk prints it ("1.23MB", "512.00B") in MB; null when it is not one. */
function megabytes(text: string): number | null {
  const m = /^([\d.]+)([KMGT]?B)$/.exec(text);
  if (m === null) return null;
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** A duration as wrk prints it ("850.00us", "1.20ms", "2.00s") in milliseconds; null otherwise. */
function milliseconds(text: string): number | null {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (m === null) return null;
  return Number(m[1]) * TIME_UNITS[m[2]!]!;
}

/** Reads wrk's report. Throws when it has no `Requests/sec` line (wrk failed to run). */
export function parseWrkOutput(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(text);
  if (rps === null) throw new Error(`No "Requests/sec" in wrk output "${text.trim()}"`);
  const transfer = /^Transfer\/sec:\s+(\S+)\s*$/m.exec(text);
  const mbPerSec = transfer === null ? null : megabytes(transfer[1]!);
  if (mbPerSec === null) throw new Error(`No "Transfer/sec" in wrk output "${text.trim()}"`);
  const latencyMs = new Map<string, number>();
  const distribution = text.split(/^\s*Latency Distribution\s*$/m)[1] ?? "";
  for (const m of distribution.matchAll(/^\s+(\d+%)\s+(\S+)\s*$/gm)) {
    const ms = milliseconds(m[2]!);
    if (ms !== null) latencyMs.set(m[1]!, ms);
  }
  const non2xx = /^\s*Non-2xx or 3xx responses:\s+(\d+)/m.exec(text);
  const socket =
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text) ?? [];
  return {
    requestsPerSec: Number(rps[1]),
    mbPerSec,
    latencyMs,
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors: {
      connect: Number(socket[1] ?? 0),
      read: Number(socket[2] ?? 0),
      write: Number(socket[3] ?? 0),
      timeout: Number(socket[4] ?? 0),
    },
  };
}

/** How one wrk run is made. */
export interface WrkOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** A CPU list for `taskset -c`, or null to run unpinned. */
  cpu: string | null;
}

/** Runs `wrk -t1 --latency` in its own process group (killed on Ctrl-C) and parses its report. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    "-t1",
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    "--latency",
    "--timeout",
    "10s",
    options.url,
  ];
  const child = options.cpu === null
    ? spawnGroup("wrk", args, { stdout: "piped", stderr: "piped" })
    : spawnGroup("taskset", ["-c", options.cpu, "wrk", ...args], {
      stdout: "piped",
      stderr: "piped",
    });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`wrk exited with code "${out.code}": "${err || text.trim()}"`);
  }
  return parseWrkOutput(text);
}
