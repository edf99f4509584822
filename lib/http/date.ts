/** HTTP dates (IMF-fixdate), with the current one cached for a second. */

let cachedSecond = -1;
let cachedDate = "";

/** The current time as an HTTP date, recomputed at most once a second. */
export function httpNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(second * 1000).toUTCString();
  }
  return cachedDate;
}

/** Formats a date as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/** Parses an HTTP date to milliseconds since the epoch, or NaN when it is not a date. */
export function parseHttpDate(value: string): number {
  return Date.parse(value);
}
