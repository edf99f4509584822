import assert from "node:assert/strict";
import { type Token, tokenize } from "../../../lib/config/lexer.ts";

/** Tokens written compactly: a word as itself, punctuation as itself, each with its line. */
function tokens(text: string): Array<[string, number]> {
  return tokenize(text, "t.conf").tokens.map((t: Token) => [t.value, t.line]);
}

const CASES: Array<[name: string, text: string, expected: Array<[string, number]>]> = [
  ["an empty text", "", []],
  ["a simple directive", "listen 80;", [["listen", 1], ["80", 1], [";", 1]]],
  ["a block", "server {\n}\n", [["server", 1], ["{", 1], ["}", 2]]],
  ["punctuation without spaces", "a{b;}", [["a", 1], ["{", 1], ["b", 1], [";", 1], ["}", 1]]],
  ["tabs and CRLF", "a\tb;\r\nc;", [["a", 1], ["b", 1], [";", 1], ["c", 2], [";", 2]]],
  ["a comment", "# hi { ;\na; # tail\nb;", [["a", 2], [";", 2], ["b", 3], [";", 3]]],
  ["a # inside a word", "a#b;", [["a#b", 1], [";", 1]]],
  ["a double-quoted string", 'a "b c;{}";', [["a", 1], ["b c;{}", 1], [";", 1]]],
  ["a single-quoted string", "a 'b \"c\"';", [["a", 1], ['b "c"', 1], [";", 1]]],
  ["an empty string", 'a "";', [["a", 1], ["", 1], [";", 1]]],
  [
    "escapes in a string",
    String.raw`a "\"\'\\\n\t\x";`,
    [["a", 1], ["\"'\\\n\t\\x", 1], [";", 1]],
  ],
  ["escapes in a bare word", String.raw`a b\"c\;d;`, [["a", 1], ['b"c\\;d', 1], [";", 1]]],
  [
    "a string over two lines",
    'a "x\ny";\nb;',
    [["a", 1], ["x\ny", 1], [";", 2], ["b", 3], [";", 3]],
  ],
  ["a quote inside a word", 'a b"c;', [["a", 1], ['b"c', 1], [";", 1]]],
  [
    "a string glued to punctuation",
    '"a"{"b";}',
    [["a", 1], ["{", 1], ["b", 1], [";", 1], ["}", 1]],
  ],
];

for (const [name, text, expected] of CASES) {
  Deno.test(`tokenize() reads ${name}`, () => {
    assert.deepEqual(tokens(text), expected);
  });
}

Deno.test("tokenize() marks quoted punctuation as a word", () => {
  const { tokens } = tokenize('"{" ";"', "t.conf");
  assert.deepEqual(tokens.map((t) => t.kind), ["word", "word"]);
});

Deno.test("tokenize() returns the line the text ends on", () => {
  assert.equal(tokenize("a;\nb;\n", "t.conf").endLine, 3);
  assert.equal(tokenize("a;", "t.conf").endLine, 1);
});

const ERRORS: Array<[name: string, text: string, message: string]> = [
  ["an unterminated string", 'a "b;\n\n', 't.conf:3: unexpected end of file, expecting ";" or "}"'],
  ["a character after a closing quote", 'a\n"b"c;', 't.conf:2: unexpected "c"'],
];

for (const [name, text, message] of ERRORS) {
  Deno.test(`tokenize() rejects ${name}`, () => {
    assert.throws(() => tokenize(text, "t.conf"), { name: "ConfigError", message });
  });
}
