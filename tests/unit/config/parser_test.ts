import assert from "node:assert/strict";
import { parseTree } from "../../../lib/config/parser.ts";

Deno.test("parseTree() builds nested nodes with their lines", () => {
  const text = "a 1 2;\nserver {\n  listen 80;\n  location = /x {\n    root /r;\n  }\n}\n";
  assert.deepEqual(parseTree(text, "t.conf"), {
    nodes: [
      { name: "a", args: ["1", "2"], file: "t.conf", line: 1, children: null },
      {
        name: "server",
        args: [],
        file: "t.conf",
        line: 2,
        children: [
          { name: "listen", args: ["80"], file: "t.conf", line: 3, children: null },
          {
            name: "location",
            args: ["=", "/x"],
            file: "t.conf",
            line: 4,
            children: [{ name: "root", args: ["/r"], file: "t.conf", line: 5, children: null }],
          },
        ],
      },
    ],
    endLine: 8,
  });
});

Deno.test("parseTree() keeps an empty block apart from a simple directive", () => {
  const { nodes } = parseTree("a {}\nb;", "t.conf");
  assert.deepEqual(nodes.map((n) => n.children), [[], null]);
});

Deno.test("parseTree() uses the line of the name for a directive over several lines", () => {
  const { nodes } = parseTree("\nindex\n  a.html\n  b.html;", "t.conf");
  assert.deepEqual(nodes[0]?.line, 2);
});

const ERRORS: Array<[text: string, message: string]> = [
  ["}", 't.conf:1: unexpected "}"'],
  ["a;\n}", 't.conf:2: unexpected "}"'],
  ["server {\n  root /x\n}", 't.conf:3: unexpected "}"'],
  ["{ }", 't.conf:1: unexpected "{"'],
  ["a;\n;", 't.conf:2: unexpected ";"'],
  ["root /x", 't.conf:1: unexpected end of file, expecting ";" or "}"'],
  ["server {\n", 't.conf:2: unexpected end of file, expecting "}"'],
  ["server {\n  listen 80", 't.conf:2: unexpected end of file, expecting ";" or "}"'],
];

for (const [text, message] of ERRORS) {
  Deno.test(`parseTree() fails with '${message}' for ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseTree(text, "t.conf"), { name: "ConfigError", message });
  });
}
