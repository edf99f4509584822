import assert from "node:assert/strict";
import {
  compileArgs,
  outputName,
  parseCompileOptions,
  RELEASE_TARGETS,
} from "../../../lib/cli/compile_args.ts";

Deno.test("outputName() is webserv-<target>, with .exe for Windows", () => {
  assert.deepEqual(RELEASE_TARGETS.map(outputName), [
    "webserv-x86_64-unknown-linux-gnu",
    "webserv-aarch64-unknown-linux-gnu",
    "webserv-x86_64-apple-darwin",
    "webserv-aarch64-apple-darwin",
    "webserv-x86_64-pc-windows-msvc.exe",
  ]);
});

Deno.test("compileArgs() has start's permissions, the demo, no node_modules, the target's name", () => {
  const args = compileArgs("aarch64-apple-darwin", "out");
  assert.equal(args[0], "compile");
  assert.equal(args.at(-1), "main.ts");
  const start = JSON.parse(Deno.readTextFileSync(new URL("../../../deno.json", import.meta.url)))
    .tasks.start as string;
  for (const flag of start.split(" ").filter((w) => w.startsWith("--allow-"))) {
    assert.ok(args.includes(flag), flag);
  }
  assert.deepEqual(args.filter((a) => a.startsWith("--allow-")).length, 5);
  const valuesOf = (flag: string) => args.flatMap((a, i) => a === flag ? [args[i + 1]] : []);
  assert.deepEqual(valuesOf("--include"), ["config", "public", "cgi"]);
  assert.ok(valuesOf("--exclude").includes("node_modules"));
  assert.deepEqual(valuesOf("--target"), ["aarch64-apple-darwin"]);
  assert.deepEqual(valuesOf("--output"), ["out/webserv-aarch64-apple-darwin"]);
});

Deno.test("parseCompileOptions() takes --target and --out-dir, defaulting to this machine", () => {
  assert.deepEqual(parseCompileOptions([], "x86_64-unknown-linux-gnu"), {
    target: "x86_64-unknown-linux-gnu",
    outDir: "dist",
  });
  assert.deepEqual(
    parseCompileOptions(["--target", "x86_64-pc-windows-msvc", "--out-dir", "d"], "h"),
    {
      target: "x86_64-pc-windows-msvc",
      outDir: "d",
    },
  );
  assert.throws(() => parseCompileOptions(["--target"], "h"), /Unknown argument "--target"/);
  assert.throws(() => parseCompileOptions(["x"], "h"), /Unknown argument "x"/);
});
