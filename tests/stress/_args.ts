/**
 * The stress script's command line: `--duration S`, `--users N`, `--soak MINUTES`,
 * `--hostile MINUTES`.
 */

/** What `deno task stress` runs. */
export interface StressOptions {
  /** Seconds per siege run (default 10); in a soak, seconds of wrk and of siege per round (5). */
  durationSec: number;
  users: number;
  /** Minutes of soak rounds, or null for the one-off stress runs. */
  soakMinutes: number | null;
  /** Minutes of hostile-input rounds (mutated requests), or null. */
  hostileMinutes: number | null;
}

const USAGE = "usage: stress.ts [--duration S] [--users N] [--soak MINUTES | --hostile MINUTES]";

/**
 * Reads `--duration N`, `--users N`, `--soak N` and `--hostile N` (also `--name=N`);
 * STRESS_DURATION, STRESS_USERS, STRESS_SOAK and STRESS_HOSTILE give the defaults. Throws on an
 * unknown argument or a bad value, or on both a soak and a hostile soak.
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
  };
  for (let i = 0; i < args.length; i++) {
    const m = /^--(duration|users|soak|hostile)(?:=(.*))?$/.exec(args[i]!);
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
  if (soakMinutes !== null && hostileMinutes !== null) {
    throw new Error(`Choose one of --soak and --hostile (${USAGE})`);
  }
  return {
    durationSec: count("duration", soakMinutes === null && hostileMinutes === null ? 10 : 5),
    users: count("users", 100),
    soakMinutes,
    hostileMinutes,
  };
}
