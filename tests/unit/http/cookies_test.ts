import assert from "node:assert/strict";
import { parseCookies, serializeSetCookie } from "../../../lib/http/cookies.ts";

/** [description, Cookie header value(s), expected pairs in order] */
const PARSE_CASES: [string, string | string[] | undefined, [string, string][]][] = [
  ["no header", undefined, []],
  ["an empty header", "", []],
  ["one pair", "a=1", [["a", "1"]]],
  ["pairs with the usual space", "a=1; b=2", [["a", "1"], ["b", "2"]]],
  ["no spaces", "a=1;b=2", [["a", "1"], ["b", "2"]]],
  ["spaces and tabs around names and values", "  a = 1 ;\tb\t=\t2\t", [["a", "1"], ["b", "2"]]],
  ["a quoted value loses its quotes", 'a="x y"; b=""', [["a", "x y"], ["b", ""]]],
  ["a lone quote stays", 'a="', [["a", '"']]],
  ["an empty value", "a=; b=2", [["a", ""], ["b", "2"]]],
  ["'=' inside a value", "a=x=y==; b=2", [["a", "x=y=="], ["b", "2"]]],
  ["duplicates: the first wins", "id=first; id=second", [["id", "first"]]],
  ["duplicates across headers: the first wins", ["id=one", "id=two; c=3"], [["id", "one"], [
    "c",
    "3",
  ]]],
  ["a pair without '=' is skipped", "junk; a=1", [["a", "1"]]],
  ["an empty name is skipped", "=v; a=1", [["a", "1"]]],
  ["a name that is not a token is skipped", "a b=1; (c)=2; d=3", [["d", "3"]]],
  ["empty pairs are skipped", ";;a=1;;", [["a", "1"]]],
  ["a value with a control character is skipped", "a=x\x01y; b=2", [["b", "2"]]],
  ["non-ASCII values are kept as sent", "name=caf\u00e9; emoji=\u{1F600}", [["name", "caf\u00e9"], [
    "emoji",
    "\u{1F600}",
  ]]],
  ["non-ASCII names are skipped", "caf\u00e9=1; a=2", [["a", "2"]]],
  ["percent escapes are not decoded", "a=%20x", [["a", "%20x"]]],
  ["only junk", "=;=;;  ; \t", []],
];

for (const [description, header, expected] of PARSE_CASES) {
  Deno.test(`parseCookies() handles ${description}`, () => {
    assert.deepEqual([...parseCookies(header)], expected);
  });
}

Deno.test("parseCookies() never throws on random bytes", () => {
  for (let i = 0; i < 500; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 64)));
    const text = String.fromCharCode(...bytes);
    const cookies = parseCookies(text);
    for (const [name] of cookies) assert.match(name, /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
  }
});

/** [description, name, value, options, expected] */
const SERIALIZE_CASES: [
  string,
  string,
  string,
  Parameters<typeof serializeSetCookie>[2],
  string,
][] = [
  ["defaults to Path=/", "a", "1", {}, "a=1; Path=/"],
  [
    "every attribute, in order",
    "WSSESSID",
    "abc",
    {
      path: "/app",
      maxAge: 3600,
      expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
      httpOnly: true,
      sameSite: "Strict",
      secure: true,
    },
    "WSSESSID=abc; Path=/app; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; " +
    "SameSite=Strict; Secure",
  ],
  ["Max-Age rounded down", "a", "1", { maxAge: 59.9 }, "a=1; Path=/; Max-Age=59"],
  ["a negative Max-Age becomes 0", "a", "1", { maxAge: -5 }, "a=1; Path=/; Max-Age=0"],
  ["an empty value", "a", "", { maxAge: 0 }, "a=; Path=/; Max-Age=0"],
  [
    "HttpOnly and Lax",
    "s",
    "v",
    { httpOnly: true, sameSite: "Lax" },
    "s=v; Path=/; HttpOnly; SameSite=Lax",
  ],
  [
    "SameSite=None with Secure",
    "s",
    "v",
    { sameSite: "None", secure: true },
    "s=v; Path=/; SameSite=None; Secure",
  ],
];

for (const [description, name, value, options, expected] of SERIALIZE_CASES) {
  Deno.test(`serializeSetCookie() writes ${description}`, () => {
    assert.equal(serializeSetCookie(name, value, options), expected);
  });
}

/** [description, name, value, options, message] */
const REFUSED: [string, string, string, Parameters<typeof serializeSetCookie>[2], RegExp][] = [
  ["a name with a space", "a b", "1", {}, /Invalid cookie name "a b"/],
  ["an empty name", "", "1", {}, /Invalid cookie name ""/],
  ["a value with ';'", "a", "1;x", {}, /Invalid cookie value "1;x"/],
  ["a value with a space", "a", "x y", {}, /Invalid cookie value/],
  ["a value with CR LF", "a", "x\r\nSet-Cookie: b=2", {}, /Invalid cookie value/],
  ["a non-ASCII value", "a", "caf\u00e9", {}, /Invalid cookie value/],
  ["a path with ';'", "a", "1", { path: "/; Domain=evil" }, /Invalid cookie path/],
  ["SameSite=None without Secure", "a", "1", { sameSite: "None" }, /must be Secure/],
  ["an infinite Max-Age", "a", "1", { maxAge: Infinity }, /Invalid Max-Age/],
];

for (const [description, name, value, options, message] of REFUSED) {
  Deno.test(`serializeSetCookie() refuses ${description}`, () => {
    assert.throws(() => serializeSetCookie(name, value, options), message);
  });
}

Deno.test("serializeSetCookie() output parses back to the same pair", () => {
  const header = serializeSetCookie("id", "a-b_c.9", { httpOnly: true, sameSite: "Lax" });
  assert.equal(parseCookies(header.split(";")[0]!).get("id"), "a-b_c.9");
});
