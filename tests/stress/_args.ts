/** The stress script's command line: `--duration S`, `--users N`, `--soak MINUTES`. */

/** What `deno task stress` runs. */
export interface StressOptions {
  /** Seconds per siege run (default 10); in a soak, seconds of wrk and of siege per round (5). */
  durationSec: number;
  users: number;
  /** Minutes of soak rounds, or null for the one-off stress runs. */
  soakMinutes: number | null;
}

const USAGE = "usage: stress.ts [--duration S] [--users N] [--soak MINUTES]";

/**
 * Reads `--duration N`, `--users N` and `--soak N` (also `--name=N`); STRESS_DURATION,
 * STRESS_USERS and STRESS_SOAK give the defaults. Throws on an unknown argument or a bad value.
 */
export function parseStressArgs(
  args: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): StressOptions {
  const values: Record<string, string | undefined> = {
    duration: env("STRESS_DURATION"),
    users: env("STRESS_USERS"),
    soak: env("STRESS_SOAK"),
  };
  for (let i = 0; i < args.length; i++) {
    const m = /^--(duration|users|soak)(?:=(.*))?$/.exec(args[i]!);
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
  let soakMinutes: number | null = null;
  if (values.soak !== undefined) {
    soakMinutes = Number(values.soak);
    if (values.soak.trim() === "" || !Number.isFinite(soakMinutes) || soakMinutes <= 0) {
      throw new Error(`Invalid soak "${values.soak}"`);
    }
  }
  return {
    durationSec: count("duration", soakMinutes === null ? 10 : 5),
    users: count("users", 100),
    soakMinutes,
  };
}
