/**
 * Content-coding negotiation (RFC 9110 §12.5.3): which of the codings the server offers an
 * `Accept-Encoding` header prefers. Lenient as nginx is: an entry it cannot read is skipped,
 * never answered with 400 or 406.
 */

/** A coding this server can produce. */
export type OfferedCoding = "br" | "gzip";

/** tchar (RFC 9110 §5.6.2): what a coding name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** qvalue (RFC 9110 §12.4.2): 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The codings of an `Accept-Encoding` value, lower-cased, with their weights (1 when none is
 * given). `*` stands for every coding not listed. An entry with a malformed name or weight is
 * skipped; when a coding is listed twice, the first entry counts (as in nginx, which reads
 * the first `gzip` only). No header (undefined) means no preference: an empty map.
 */
export function parseAcceptEncoding(header: string | undefined): Map<string, number> {
  const accept = new Map<string, number>();
  if (header === undefined) return accept;
  for (const element of header.split(",")) {
    const [name = "", ...params] = element.split(";").map(trimOws);
    // Empty list elements are allowed ("gzip,,br").
    if (name === "") continue;
    if (!TOKEN.test(name)) continue;
    const weight = weightOf(params);
    if (weight === null) continue;
    const coding = name.toLowerCase();
    if (!accept.has(coding)) accept.set(coding, weight);
  }
  return accept;
}

/**
 * The coding of `offered` that `accept` weighs highest above 0, the earlier in `offered` on a
 * tie (so `["br", "gzip"]` prefers brotli). A coding not listed takes the weight of `*`; one
 * listed with `q=0` is refused even if `*` allows it. null means identity: no header, nothing
 * acceptable, or even `identity;q=0`, which nginx also answers uncompressed rather than 406.
 *
 * `x-gzip` is not taken for gzip: nginx's ngx_http_gzip_accept_encoding looks for `gzip`
 * after a comma, a space or the start of the header, so `x-gzip` alone gets identity there too,
 * although RFC 9110 §8.4.1.3 asks recipients to treat the alias as gzip.
 */
export function chooseEncoding(
  accept: Map<string, number>,
  offered: readonly OfferedCoding[],
): OfferedCoding | null {
  const wildcard = accept.get("*") ?? 0;
  let best: OfferedCoding | null = null;
  let bestWeight = 0;
  for (const coding of offered) {
    const weight = accept.get(coding) ?? wildcard;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/** The weight in an entry's parameters: 1 without `q`, null when `q` is malformed. */
function weightOf(params: string[]): number | null {
  let weight = 1;
  for (const param of params) {
    const equals = param.indexOf("=");
    const key = trimOws(equals < 0 ? param : param.slice(0, equals));
    // Accept-Encoding defines no other parameter: ignore any that comes.
    if (key !== "q" && key !== "Q") continue;
    const value = equals < 0 ? "" : trimOws(param.slice(equals + 1));
    if (!QVALUE.test(value)) return null;
    weight = Number(value);
  }
  return weight;
}

/** `s` without optional whitespace (spaces and tabs) at either end. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === " " || s[start] === "\t")) start++;
  while (end > start && (s[end - 1] === " " || s[end - 1] === "\t")) end--;
  return s.slice(start, end);
}
