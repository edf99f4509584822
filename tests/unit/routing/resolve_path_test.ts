import assert from "node:assert/strict";
import type { LocationConfig } from "../../../lib/config/types.ts";
import { decodePath, mapToFile } from "../../../lib/routing/resolve_path.ts";
import { testLocation } from "../_fixtures.ts";

const DECODE_CASES: [raw: string, expected: string | null, why: string][] = [
  ["/", "/", "the root"],
  ["/index.html", "/index.html", "a plain path"],
  ["/a%20b/c", "/a b/c", "a percent-escape"],
  ["/caf%C3%A9", "/café", "UTF-8 escapes"],
  ["/%41%62", "/Ab", "upper and lower case letters"],
  ["/a%2fb", "/a/b", "%2f becomes a separator after decoding"],
  ["/a%2Fb/..", "/a/", "%2F then .."],
  ["/%2e%2e", null, "%2e%2e above the root"],
  ["/%2e%2e/", null, "%2e%2e/ above the root"],
  ["/a/%2e%2e/b", "/b", "%2e%2e resolved"],
  ["/a/%2E./b", "/b", "mixed %2E."],
  ["/..%2f", null, "..%2f above the root"],
  ["/a/..%2f..%2fetc/passwd", null, "..%2f climbing"],
  ["/..", null, ".. at the root"],
  ["/../etc/passwd", null, ".. from the root"],
  ["/a/../../b", null, "two .. from one level"],
  ["/a/../b", "/b", ".. inside"],
  ["/a/b/..", "/a/", "a final .. keeps a slash"],
  ["/a/b/.", "/a/b/", "a final . keeps a slash"],
  ["/a/./b/", "/a/b/", ". segments"],
  ["//x", "/x", "a double slash"],
  ["/a//b///c", "/a/b/c", "runs of slashes"],
  ["/a/", "/a/", "a trailing slash kept"],
  ["/...", "/...", "three dots are a name"],
  ["/.hidden", "/.hidden", "a dotfile is a name"],
  ["/a..b", "/a..b", "dots inside a name"],
  ["/a\\..\\b", "/a\\..\\b", "a backslash is not a separator"],
  ["/%00", null, "%00"],
  ["/a\0b", null, "a raw NUL"],
  ["/%c0%ae%c0%ae/", null, "overlong UTF-8 for ."],
  ["/%ff", null, "a byte that is not UTF-8"],
  ["/%e2%82", null, "truncated UTF-8"],
  ["/%ed%a0%80", null, "an encoded surrogate"],
  ["/%", null, "a lone %"],
  ["/%2", null, "a short escape"],
  ["/%zz", null, "a non-hex escape"],
  ["/%%41", null, "%% is not an escape"],
  ["", null, "empty"],
  ["*", null, "asterisk-form"],
  ["a/b", null, "no leading slash"],
  ["http://x/y", null, "absolute-form"],
  ["/%25", "/%", "an escaped % decodes once only"],
  ["/%252e%252e/", "/%2e%2e/", "double encoding stays a name"],
  ["/caf\xc3\xa9", "/café", "raw UTF-8 bytes as latin1 chars"],
];

for (const [raw, expected, why] of DECODE_CASES) {
  Deno.test(`decodePath() returns ${JSON.stringify(expected)} for ${why} (${JSON.stringify(raw)})`, () => {
    assert.equal(decodePath(raw), expected);
  });
}

function location(path: string, root: string, alias: string | null = null): LocationConfig {
  return testLocation({ path, root, alias });
}

const MAP_CASES: [path: string, loc: LocationConfig, expected: string | null, why: string][] = [
  ["/a/b.txt", location("/", "/srv/www"), "/srv/www/a/b.txt", "root appends the whole path"],
  ["/a/b.txt", location("/a/", "/srv/www/"), "/srv/www/a/b.txt", "root with a trailing slash"],
  ["/", location("/", "/srv/www"), "/srv/www/", "the root directory"],
  ["/x", location("/", "/"), "/x", "root /"],
  ["/x/a", location("/x/", "/srv", "/srv/y/"), "/srv/y/a", "alias replaces the prefix"],
  ["/x/", location("/x/", "/srv", "/srv/y/"), "/srv/y/", "alias directory itself"],
  ["/x", location("/x/", "/srv", "/srv/y/"), "/srv/y", "alias without the slash"],
  ["/x/a/b", location("/x/", "/srv", "/srv/y"), "/srv/y/a/b", "alias without a slash"],
  ["/x/a", location("/x", "/srv", "/srv/y"), "/srv/y/a", "prefix and alias without slashes"],
  ["/xyz", location("/x", "/srv", "/srv/y"), null, "a partial segment leaving the alias"],
  ["/img../secret", location("/img", "/srv", "/data/i/"), null, "the off-by-slash traversal"],
  ["/img..", location("/img", "/srv", "/data/i/"), null, "a bare .. after the prefix"],
  ["/img/a", location("/img", "/srv", "/data/i/"), "/data/i/a", "off-by-slash location, normal"],
  ["/fav.ico", location("/fav.ico", "/srv", "/srv/icons/f.ico"), "/srv/icons/f.ico", "file alias"],
  ["/other", location("/x/", "/srv", "/srv/y/"), null, "a path outside the location"],
  ["/a/../b", location("/", "/srv/www"), null, "an unresolved .. is refused"],
  ["a", location("/", "/srv/www"), null, "a relative path is refused"],
  ["/a\0", location("/", "/srv/www"), null, "a NUL is refused"],
];

for (const [path, loc, expected, why] of MAP_CASES) {
  Deno.test(`mapToFile() returns ${JSON.stringify(expected)} for ${why} (${JSON.stringify(path)})`, () => {
    assert.equal(mapToFile(path, loc), expected);
  });
}
