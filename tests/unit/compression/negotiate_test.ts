import assert from "node:assert/strict";
import {
  chooseEncoding,
  type OfferedCoding,
  parseAcceptEncoding,
} from "../../../lib/compression/negotiate.ts";

const BR_FIRST: readonly OfferedCoding[] = ["br", "gzip"];

/** [description, Accept-Encoding value, parsed entries in order ("name=q ..."), choice] */
const CASES: [string, string | undefined, string, OfferedCoding | null][] = [
  // What browsers send.
  ["a usual list: br wins the tie", "gzip, deflate, br", "gzip=1 deflate=1 br=1", "br"],
  ["Chrome's list", "gzip, deflate, br, zstd", "gzip=1 deflate=1 br=1 zstd=1", "br"],
  ["br weighed higher", "br;q=1.0, gzip;q=0.8", "br=1 gzip=0.8", "br"],
  ["gzip weighed higher", "gzip;q=1, br;q=0.5", "gzip=1 br=0.5", "gzip"],
  ["gzip only", "gzip", "gzip=1", "gzip"],
  ["br only", "br", "br=1", "br"],
  ["neither offered coding", "deflate, compress, zstd", "deflate=1 compress=1 zstd=1", null],
  // The wildcard.
  ["a low wildcard still accepts both: br wins the tie", "*;q=0.1", "*=0.1", "br"],
  ["a bare wildcard", "*", "*=1", "br"],
  ["q=0 refuses what the wildcard allows", "br;q=0, *", "br=0 *=1", "gzip"],
  ["the wildcard weighs what is not listed", "br;q=0.5, *;q=0.9", "br=0.5 *=0.9", "gzip"],
  ["a listed coding keeps its own weight", "*;q=0.5, gzip;q=0.6", "*=0.5 gzip=0.6", "gzip"],
  ["a refusing wildcard", "*;q=0", "*=0", null],
  ["everything refused", "br;q=0, gzip;q=0, *;q=0", "br=0 gzip=0 *=0", null],
  // Refusals and identity: never a 406; identity it is.
  ["gzip refused", "gzip;q=0", "gzip=0", null],
  ["q=0.000 refuses", "gzip;q=0.000", "gzip=0", null],
  ["q=0. refuses", "gzip;q=0.", "gzip=0", null],
  ["identity alone", "identity", "identity=1", null],
  ["identity refused still gets identity", "identity;q=0", "identity=0", null],
  ["identity and the wildcard refused", "identity;q=0, *;q=0", "identity=0 *=0", null],
  [
    "identity preferred does not stop compression",
    "identity, gzip;q=0.5",
    "identity=1 gzip=0.5",
    "gzip",
  ],
  // Names: case-insensitive tokens.
  ["an upper-case name", "GZIP", "gzip=1", "gzip"],
  ["mixed case and an upper-case Q", "Br;Q=0.9, GZip;q=0.3", "br=0.9 gzip=0.3", "br"],
  ["x-gzip is not gzip (as in nginx)", "x-gzip", "x-gzip=1", null],
  ["x-gzip next to gzip", "x-gzip, gzip;q=0.5", "x-gzip=1 gzip=0.5", "gzip"],
  ["names that only contain gzip and br", "gzipped, brotli", "gzipped=1 brotli=1", null],
  // Weights.
  ["the smallest weight above 0", "gzip;q=0.001", "gzip=0.001", "gzip"],
  ["three decimals", "br;q=0.125, gzip;q=0.124", "br=0.125 gzip=0.124", "br"],
  ["1 with zero decimals", "gzip;q=1.000", "gzip=1", "gzip"],
  ["1 with a dot", "br;q=1.", "br=1", "br"],
  ["equal weights written differently tie", "gzip;q=0.50, br;q=0.5", "gzip=0.5 br=0.5", "br"],
  // Whitespace.
  ["spaces and tabs everywhere", " \tgzip ; q=0.5 ,br\t;\tq=0.4 ", "gzip=0.5 br=0.4", "gzip"],
  ["spaces around '='", "gzip; q = 0.7", "gzip=0.7", "gzip"],
  ["no spaces", "gzip,br", "gzip=1 br=1", "br"],
  ["empty list elements", ",, gzip ,,", "gzip=1", "gzip"],
  // Nothing, or nothing readable.
  ["no header", undefined, "", null],
  ["an empty header", "", "", null],
  ["only whitespace", "  \t ", "", null],
  ["only commas", ",,,", "", null],
  ["garbage", '@@@, (gzip), "br", a b', "", null],
  ["a weight that is not a number", "gzip;q=abc", "", null],
  ["a weight above 1", "gzip;q=1.5", "", null],
  ["1 with a non-zero decimal", "gzip;q=1.001", "", null],
  ["four decimals", "gzip;q=0.1234", "", null],
  ["a weight without the leading digit", "gzip;q=.5", "", null],
  ["a negative weight", "gzip;q=-0", "", null],
  ["an empty weight", "gzip;q=", "", null],
  ["q without '='", "gzip;q", "", null],
  ["a weight in exponent form", "gzip;q=1e-1", "", null],
  ["a malformed entry is skipped, the rest stays", "gzip;q=2, br;q=0.1", "br=0.1", "br"],
  ["a skipped entry is as if unlisted", "br;q=x, gzip;q=0.1, *;q=0.2", "gzip=0.1 *=0.2", "br"],
  // Odd but readable.
  ["a parameter other than q is ignored", "gzip;level=9", "gzip=1", "gzip"],
  ["an empty parameter is ignored", "gzip;;q=0.5", "gzip=0.5", "gzip"],
  ["a duplicate: the first counts (as in nginx)", "gzip;q=0, gzip", "gzip=0", null],
  ["a duplicate differing in case", "br, BR;q=0", "br=1", "br"],
];

for (const [description, header, entries, choice] of CASES) {
  Deno.test(`parseAcceptEncoding() and chooseEncoding(): ${description}`, () => {
    const accept = parseAcceptEncoding(header);
    const parsed = [...accept].map(([name, q]) => `${name}=${q}`).join(" ");
    assert.equal(parsed, entries, `parse ${JSON.stringify(header)}`);
    assert.equal(chooseEncoding(accept, BR_FIRST), choice, `choose for ${JSON.stringify(header)}`);
  });
}

Deno.test("chooseEncoding() breaks ties by the order of the offer", () => {
  const accept = parseAcceptEncoding("gzip, br");
  assert.equal(chooseEncoding(accept, ["br", "gzip"]), "br");
  assert.equal(chooseEncoding(accept, ["gzip", "br"]), "gzip");
});

Deno.test("chooseEncoding() picks only what is offered", () => {
  assert.equal(chooseEncoding(parseAcceptEncoding("br, gzip;q=0.1"), ["gzip"]), "gzip");
  assert.equal(chooseEncoding(parseAcceptEncoding("br"), ["gzip"]), null);
  assert.equal(chooseEncoding(parseAcceptEncoding("*"), ["gzip"]), "gzip");
  assert.equal(chooseEncoding(parseAcceptEncoding("gzip, br"), []), null);
});
