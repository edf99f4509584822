/** nginx's size and time values: `client_max_body_size 10m;`, `keepalive_timeout 1m30s;`. */

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  k: 1024,
  K: 1024,
  m: 1024 ** 2,
  M: 1024 ** 2,
  g: 1024 ** 3,
  G: 1024 ** 3,
};

/**
 * Parses a size: digits with an optional unit `k`/`K`, `m`/`M`, `g`/`G` (powers of 1024), e.g.
 * `"512"`, `"8k"`, `"1m"`. Returns bytes, or null when the text is not a size or is too large.
 */
export function parseSize(text: string): number | null {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (match === null) return null;
  const bytes = Number(match[1]) * SIZE_UNITS[match[2]!]!;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Units of a time value in milliseconds, largest first (nginx: y M w d h m s ms). */
const TIME_UNITS: ReadonlyArray<readonly [string, number]> = [
  ["y", 365 * 86_400_000],
  ["M", 30 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/**
 * Parses a time: one or more `<digits><unit>` parts, largest unit first, optionally separated by
 * spaces (`"500ms"`, `"30s"`, `"1m30s"`, `"1h 5m"`); a last part without a unit is seconds
 * (`"75"` is 75 s). Returns milliseconds, or null when the text is not a time or is too large.
 */
export function parseTime(text: string): number | null {
  const part = /(\d+)(ms|[yMwdhms]?) */y;
  let total = 0;
  let smallest = -1; // index in TIME_UNITS of the last unit used: later parts must be smaller
  let index = 0;
  let bareSeen = false;
  while (index < text.length) {
    if (bareSeen) return null; // a bare number must be the last part
    part.lastIndex = index;
    const match = part.exec(text);
    if (match === null) return null;
    const unit = match[2] === "" ? "s" : match[2]!;
    if (match[2] === "") bareSeen = true;
    const order = TIME_UNITS.findIndex(([name]) => name === unit);
    if (order <= smallest) return null;
    smallest = order;
    total += Number(match[1]) * TIME_UNITS[order]![1];
    index = part.lastIndex;
  }
  if (smallest === -1 || !Number.isSafeInteger(total)) return null;
  return total;
}

/** A duration in nginx's notation, largest units first: 90_000 → "1m30s", 0 → "0s". */
export function formatTime(ms: number): string {
  if (ms === 0) return "0s";
  let left = ms;
  let text = "";
  for (const [unit, size] of TIME_UNITS) {
    // Spell durations in days and below: "24d" reads better than "3w3d".
    if (unit === "y" || unit === "M" || unit === "w") continue;
    const n = Math.floor(left / size);
    if (n === 0) continue;
    text += `${n}${unit}`;
    left -= n * size;
  }
  return text;
}

/** A byte count in nginx's notation, with the largest unit that divides it: 8192 → "8k". */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) {
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
