import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfigFile, locateAssets, programFacts } from "../../../lib/cli/assets.ts";
import { DEMO_FOLDERS, extractDemo, servesEmbeddedDemo } from "../../../lib/cli/embedded_demo.ts";

const REPO = join(import.meta.dirname!, "..", "..", "..");

Deno.test("locateAssets(): beside main.ts from source and deno install, embedded when compiled", () => {
  // A checkout, or `deno install -g ./main.ts` (the module is run where it is).
  assert.deepEqual(locateAssets({ programDir: "/src/webserv", standalone: false, cwd: "/x" }), {
    root: "/src/webserv",
    embedded: false,
  });
  // The compiled executable: Deno's read-only file system under <tmp>/deno-compile-<name>/.
  const compiled = { programDir: "/tmp/deno-compile-webserv/main", standalone: true, cwd: "/x" };
  assert.deepEqual(locateAssets(compiled), {
    root: "/tmp/deno-compile-webserv/main",
    embedded: true,
  });
  assert.equal(
    defaultConfigFile(locateAssets(compiled)),
    "/tmp/deno-compile-webserv/main/config/default.conf",
  );
  // `deno install -g https://…/main.ts`: no directory of its own; the working directory's files.
  assert.deepEqual(locateAssets({ programDir: undefined, standalone: false, cwd: "/srv/site" }), {
    root: "/srv/site",
    embedded: false,
  });
});

Deno.test("programFacts() from source names the checkout, where config/default.conf is", async () => {
  const facts = programFacts();
  assert.equal(facts.programDir, REPO);
  assert.equal(facts.standalone, false);
  const file = defaultConfigFile(locateAssets(facts));
  assert.equal(file, join(REPO, "config", "default.conf"));
  assert.ok((await Deno.stat(file)).isFile);
});

Deno.test("servesEmbeddedDemo(): only the executable, run without a config or a check", () => {
  assert.equal(servesEmbeddedDemo([], true), true);
  assert.equal(servesEmbeddedDemo([], false), false);
  assert.equal(servesEmbeddedDemo(["my.conf"], true), false);
  for (const option of ["-t", "--test", "-h", "--help", "-V", "--version", "-s", "-sreload"]) {
    assert.equal(servesEmbeddedDemo([option], true), false, option);
  }
});

Deno.test("extractDemo() copies config, public and cgi to a private directory, removed after", async () => {
  const demo = await extractDemo(REPO);
  try {
    assert.equal(((await Deno.stat(demo.dir)).mode ?? 0) & 0o777, 0o700);
    assert.equal(demo.configFile, join(demo.dir, "config", "default.conf"));
    for (const folder of DEMO_FOLDERS) {
      for await (const entry of Deno.readDir(join(REPO, folder))) {
        if (!entry.isFile) continue;
        assert.deepEqual(
          await Deno.readFile(join(demo.dir, folder, entry.name)),
          await Deno.readFile(join(REPO, folder, entry.name)),
          `${folder}/${entry.name}`,
        );
      }
    }
    // The copy is a working demo: its config checks, and an interpreter can run its scripts.
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO, "main.ts"), "-t", demo.configFile],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  } finally {
    await demo.remove();
  }
  await assert.rejects(Deno.stat(demo.dir), Deno.errors.NotFound);
});
