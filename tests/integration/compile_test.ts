/**
 * `deno task compile` for real, then the executable run on its own: a temporary config, and its
 * embedded demo with a CGI script. `deno compile` needs Deno's `denort` runtime: a file named by
 * DENORT_BIN, or the zip in Deno's cache; it is downloaded from Deno's servers otherwise, which
 * these machines cannot reach. Without either, the test says so and is ignored.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { outputName } from "../../lib/cli/compile_args.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const DEADLINE_MS = 60_000;
const TARGET = Deno.build.target;

async function isFile(path: string | undefined): Promise<boolean> {
  if (path === undefined || path === "") return false;
  return await Deno.stat(path).then((i) => i.isFile, () => false);
}

/** Where Deno keeps downloads: DENO_DIR, else its cache under the home directory (Linux, macOS). */
function denoDir(): string | undefined {
  const home = Deno.env.get("HOME");
  return Deno.env.get("DENO_DIR") ??
    (home === undefined
      ? undefined
      : Deno.build.os === "darwin"
      ? join(home, "Library", "Caches", "deno")
      : join(Deno.env.get("XDG_CACHE_HOME") ?? join(home, ".cache"), "deno"));
}

const denortBin = Deno.env.get("DENORT_BIN");
const dir = denoDir();
const cachedZip = dir === undefined
  ? undefined
  : join(dir, "dl", "release", `v${Deno.version.deno}`, `denort-${TARGET}.zip`);
const haveDenort = await isFile(denortBin) || await isFile(cachedZip);

/** Runs a command to its end within the deadline. */
async function output(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Starts the executable, reads the port of its first `listening on` line, runs `fn`, stops it. */
async function serving(
  exe: string,
  args: string[],
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const child = new Deno.Command(exe, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const bound = setTimeout(() => reader.cancel(), DEADLINE_MS);
  try {
    let text = "";
    let port: string | undefined;
    while (port === undefined) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the executable exited: ${text}`);
      text += value;
      port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(text)?.[1];
    }
    await fn(Number(port));
    child.kill("SIGQUIT");
    while (!(await reader.read()).done);
    assert.equal((await child.status).code, 0);
  } finally {
    clearTimeout(bound);
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await reader.cancel().catch(() => {});
    await child.status;
  }
}

Deno.test({
  name: haveDenort
    ? "deno task compile builds an executable that serves a config and its own demo"
    : `deno task compile builds a working executable (skipped: no denort here: DENORT_BIN is ` +
      `${denortBin === undefined ? "unset" : `"${denortBin}", not a file`} and "${cachedZip}" ` +
      `does not exist; deno compile would download it from dl.deno.land)`,
  ignore: !haveDenort,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "webserv-compile-" });
    try {
      const built = await output(Deno.execPath(), ["task", "compile", "--out-dir", out]);
      assert.equal(built.code, 0, built.text);
      const exe = join(out, outputName(TARGET));
      const version = await output(exe, ["-V"]);
      assert.equal(version.code, 0, version.text);
      assert.match(version.text, /^webserv \d+\.\d+\.\d+/);
      // A config of its own, on disk.
      await Deno.writeTextFile(join(out, "index.html"), "compiled\n");
      await Deno.writeTextFile(
        join(out, "t.conf"),
        "access_log off;\nserver { listen 127.0.0.1:0; root .; }\n",
      );
      await serving(exe, [join(out, "t.conf")], async (port) => {
        assert.equal(
          await (await fetch(`http://127.0.0.1:${port}/index.html`)).text(),
          "compiled\n",
        );
      });
      // The embedded demo (it listens on 127.0.0.1:8080): its CGI scripts run from the copy.
      try {
        Deno.listen({ hostname: "127.0.0.1", port: 8080 }).close();
      } catch {
        console.warn("compile_test: port 8080 is taken, the embedded demo is not started");
        return;
      }
      await serving(exe, [], async (port) => {
        const home = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(home.status, 200);
        await home.body?.cancel();
        const cgi = await fetch(`http://127.0.0.1:${port}/cgi-bin/hello.pl`);
        assert.equal(cgi.status, 200, await cgi.clone().text());
        await cgi.body?.cancel();
      });
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
