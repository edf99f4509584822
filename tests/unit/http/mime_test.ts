import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../../lib/config/load.ts";
import {
  BUILT_IN_TYPES,
  contentType,
  DEFAULT_CHARSET_TYPES,
  MimeTypes,
} from "../../../lib/http/mime.ts";

const CASES: [path: string, expected: string][] = [
  ["/index.html", "text/html; charset=utf-8"],
  ["/a.htm", "text/html; charset=utf-8"],
  ["/style.css", "text/css; charset=utf-8"],
  ["/app.js", "text/javascript; charset=utf-8"],
  ["/mod.mjs", "text/javascript; charset=utf-8"],
  ["/data.json", "application/json; charset=utf-8"],
  ["/feed.xml", "application/xml; charset=utf-8"],
  ["/notes.txt", "text/plain; charset=utf-8"],
  ["/table.csv", "text/csv; charset=utf-8"],
  ["/README.md", "text/markdown; charset=utf-8"],
  ["/logo.svg", "image/svg+xml; charset=utf-8"],
  ["/site.webmanifest", "application/manifest+json; charset=utf-8"],
  ["/app.js.map", "application/json; charset=utf-8"],
  ["/a.png", "image/png"],
  ["/a.jpg", "image/jpeg"],
  ["/a.jpeg", "image/jpeg"],
  ["/a.gif", "image/gif"],
  ["/a.webp", "image/webp"],
  ["/a.avif", "image/avif"],
  ["/favicon.ico", "image/x-icon"],
  ["/a.bmp", "image/bmp"],
  ["/f.woff", "font/woff"],
  ["/f.woff2", "font/woff2"],
  ["/f.ttf", "font/ttf"],
  ["/f.otf", "font/otf"],
  ["/s.mp3", "audio/mpeg"],
  ["/s.ogg", "audio/ogg"],
  ["/s.oga", "audio/ogg"],
  ["/s.wav", "audio/wav"],
  ["/s.flac", "audio/flac"],
  ["/s.m4a", "audio/mp4"],
  ["/v.mp4", "video/mp4"],
  ["/v.m4v", "video/mp4"],
  ["/v.webm", "video/webm"],
  ["/v.ogv", "video/ogg"],
  ["/v.mov", "video/quicktime"],
  ["/v.mkv", "video/x-matroska"],
  ["/d.pdf", "application/pdf"],
  ["/m.wasm", "application/wasm"],
  ["/a.zip", "application/zip"],
  ["/a.tar.gz", "application/gzip"],
  ["/a.tar", "application/x-tar"],
  ["/a.7z", "application/x-7z-compressed"],
  ["/UPPER.HTML", "text/html; charset=utf-8"],
  ["/Mixed.PnG", "image/png"],
  ["/no-extension", "text/plain; charset=utf-8"],
  ["/unknown.qqq", "text/plain; charset=utf-8"],
  ["/.bashrc", "text/plain; charset=utf-8"],
  ["/dir.html/file", "text/plain; charset=utf-8"],
  ["/trailing.", "text/plain; charset=utf-8"],
  ["/dir/.hidden.css", "text/css; charset=utf-8"],
  ["plain.txt", "text/plain; charset=utf-8"],
];

for (const [path, expected] of CASES) {
  Deno.test(`contentType() returns "${expected}" for "${path}"`, () => {
    assert.equal(contentType(path), expected);
  });
}

Deno.test("MimeTypes follows types, default_type and charset as nginx does", () => {
  const table = new Map([["html", "text/html"], ["js", "application/javascript"], [
    "png",
    "image/png",
  ]]);
  const plain = MimeTypes.of({
    types: table,
    defaultType: "application/octet-stream",
    charset: null,
    charsetTypes: DEFAULT_CHARSET_TYPES,
  });
  assert.deepEqual(["/a.html", "/a.js", "/a.css", "/a"].map((p) => plain.typeOf(p)), [
    "text/html",
    "application/javascript",
    "application/octet-stream",
    "application/octet-stream",
  ]);
  const labelled = MimeTypes.of({
    types: table,
    defaultType: "text/plain",
    charset: "utf-8",
    charsetTypes: DEFAULT_CHARSET_TYPES,
  });
  assert.deepEqual(["/a.html", "/a.js", "/a.png", "/a"].map((p) => labelled.typeOf(p)), [
    "text/html; charset=utf-8",
    "application/javascript; charset=utf-8",
    "image/png",
    "text/plain; charset=utf-8",
  ]);
  const everything = MimeTypes.of({
    types: table,
    defaultType: "x/y",
    charset: "koi8-r",
    charsetTypes: ["*"],
  });
  assert.equal(everything.typeOf("/a.png"), "image/png; charset=koi8-r");
  // The same settings give the same object (caches key on its id).
  assert.equal(
    MimeTypes.of({
      types: table,
      defaultType: "text/plain",
      charset: "utf-8",
      charsetTypes: DEFAULT_CHARSET_TYPES,
    }),
    labelled,
  );
  assert.equal(BUILT_IN_TYPES.defaultType, "text/plain; charset=utf-8");
});

/** The cases with no known extension: they get the default type. */
const UNKNOWN = ["/no-extension", "/unknown.qqq", "/.bashrc", "/dir.html/file", "/trailing."];

Deno.test("config/mime.types lists what the built-in table knows, in nginx's format", async () => {
  const { config } = await loadConfig(
    join(import.meta.dirname!, "../../testdata/config/mime_types.conf"),
  );
  const mime = config.servers[0]!.mime;
  for (const [path, expected] of CASES) {
    // The file adds no charset (nginx's way); the built-in table labels text types UTF-8.
    const bare = expected.replace("; charset=utf-8", "");
    const unknown = UNKNOWN.includes(path);
    assert.equal(mime.typeOf(path), unknown ? "application/octet-stream" : bare, path);
  }
});
