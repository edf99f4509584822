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

/** The three forms RFC 9110 §5.6.7 takes (IMF-fixdate, RFC 850, asctime), as nginx's parser. */
const HTTP_DATE = new RegExp(
  "^(?:[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT" +
    "|[A-Z][a-z]+, \\d{2}-[A-Z][a-z]{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT" +
    "|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$",
);

/**
 * Parses an HTTP date to milliseconds since the epoch, or NaN when it is not one of the three
 * forms (`0`, `-1` or `tomorrow` in an Expires are not dates).
 */
export function parseHttpDate(value: string): number {
  const text = value.trim();
  if (!HTTP_DATE.test(text)) return NaN;
  // asctime has no zone: it is GMT.
  return Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
}
