/**
 * `deno install -g` (the README's alternative to the executable): the installed command runs the
 * checkout's main.ts and finds its default config beside it, from any working directory.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");

Deno.test("a webserv installed with deno install -g finds config/default.conf from elsewhere", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-install-" });
  try {
    const run = async (cmd: string, args: string[], cwd: string) => {
      const out = await new Deno.Command(cmd, {
        args,
        cwd,
        stdout: "piped",
        stderr: "piped",
        env: { DENO_INSTALL_ROOT: join(dir, "root") },
        signal: AbortSignal.timeout(60_000),
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
    };
    const installed = await run(Deno.execPath(), [
      "install",
      "-g",
      "-f",
      "-n",
      "webserv",
      "--root",
      join(dir, "root"),
      "--config",
      "deno.json",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "main.ts",
    ], ROOT);
    assert.equal(installed.code, 0, installed.text);
    const bin = join(dir, "root", "bin", "webserv");
    // The shim runs `deno`: the one running this test.
    const path = `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH") ?? ""}`;
    const out = await new Deno.Command(bin, {
      args: ["-t"],
      cwd: dir,
      env: { PATH: path },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const said = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, said);
    assert.equal(
      said.trim().split("\n").at(-1),
      `webserv: the configuration file ${join(ROOT, "config", "default.conf")} syntax is ok`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
