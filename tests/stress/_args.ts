/**
 * The stress script's command line: `--duration S`, `--users N`, `--soak MINUTES`,
 * `--hostile MINUTES`, `--proxy-download [--size BYTES]`.
 */

/** What `deno task stress` runs. */
export interface StressOptions {
  /**
   * Seconds per siege run (default 10); in a soak, seconds of wrk and of siege per round (5); in a
   * proxy download, the most the download may take (60).
   */
  durationSec: number;
  users: number;
  /** Minutes of soak rounds, or null for the one-off stress runs. */
  soakMinutes: number | null;
  /** Minutes of hostile-input rounds (mutated requests), or null. */
  hostileMinutes: number | null;
  /** The body a proxy download streams through webserv, in bytes, or null for other modes. */
  proxyDownloadBytes: number | null;
}

/** The proxy download's default body: 2 GiB. */
export const DEFAULT_DOWNLOAD_BYTES = 2 * 1024 ** 3;

const USAGE = "usage: stress.ts [--duration S] [--users N] " +
  "[--soak MINUTES | --hostile MINUTES | --proxy-download [--size BYTES[k|m|g]]]";

/** A size: bytes, or k/m/g (KiB, MiB, GiB; case-insensitive); null when it is not one. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  if (m === null) return null;
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k"];
  const n = Math.round(Number(m[1]) * scale);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/**
 * Reads `--duration N`, `--users N`, `--soak N`, `--hostile N`, `--size N` (also `--name=N`) and
 * the flag `--proxy-download`; STRESS_DURATION, STRESS_USERS, STRESS_SOAK, STRESS_HOSTILE,
 * STRESS_PROXY_DOWNLOAD (any value but "" and "0") and STRESS_SIZE give the defaults. Throws on
 * an unknown argument or a bad value, on more than one of the soak, hostile and proxy-download
 * modes, or on `--size` without `--proxy-download`.
 */
export function parseStressArgs(
  args: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): StressOptions {
  const values: Record<string, string | undefined> = {
    duration: env("STRESS_DURATION"),
    users: env("STRESS_USERS"),
    soak: env("STRESS_SOAK"),
    hostile: env("STRESS_HOSTILE"),
    size: env("STRESS_SIZE"),
  };
  const flag = env("STRESS_PROXY_DOWNLOAD");
  let proxyDownload = flag !== undefined && flag !== "" && flag !== "0";
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--proxy-download") {
      proxyDownload = true;
      continue;
    }
    const m = /^--(duration|users|soak|hostile|size)(?:=(.*))?$/.exec(args[i]!);
    if (m === null) throw new Error(`Unknown argument "${args[i]}" (${USAGE})`);
    values[m[1]!] = m[2] ?? args[++i] ?? "";
  }
  const count = (name: string, fallback: number) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid ${name} "${text}"`);
    return n;
  };
  const minutes = (name: string) => {
    const text = values[name];
    if (text === undefined) return null;
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw new Error(`Invalid ${name} "${text}"`);
    }
    return n;
  };
  const soakMinutes = minutes("soak");
  const hostileMinutes = minutes("hostile");
  const modes = [soakMinutes !== null, hostileMinutes !== null, proxyDownload].filter(Boolean);
  if (modes.length > 1) {
    throw new Error(`Choose one of --soak, --hostile and --proxy-download (${USAGE})`);
  }
  let proxyDownloadBytes: number | null = null;
  if (values.size !== undefined) {
    if (!proxyDownload) throw new Error(`--size goes with --proxy-download (${USAGE})`);
    proxyDownloadBytes = parseSize(values.size);
    if (proxyDownloadBytes === null) throw new Error(`Invalid size "${values.size}"`);
  } else if (proxyDownload) {
    proxyDownloadBytes = DEFAULT_DOWNLOAD_BYTES;
  }
  const defaultDuration = proxyDownload ? 60 : modes.length > 0 ? 5 : 10;
  return {
    durationSec: count("duration", defaultDuration),
    users: count("users", 100),
    soakMinutes,
    hostileMinutes,
    proxyDownloadBytes,
  };
}
