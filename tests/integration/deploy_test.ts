/**
 * The deploy kit: deploy/webserv.service passes `systemd-analyze verify` in both of its forms
 * (the executable, and `deno run`), agrees with deploy/webserv.conf (every directory the config
 * writes to is one the unit makes writable, descriptors above worker_connections), and the config
 * serves for real once its directories are moved under a temporary root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../lib/config/load.ts";
import { eachLocation } from "../../lib/config/each_location.ts";
import { pidFilePath } from "../../lib/cli/pid_file.ts";
import { isInstalled } from "../bench/_child.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const UNIT_FILE = join(ROOT, "deploy", "webserv.service");
const CONF_FILE = join(ROOT, "deploy", "webserv.conf");
const MAIN = join(ROOT, "main.ts");
const UNIT = await Deno.readTextFile(UNIT_FILE);
const CONF = await Deno.readTextFile(CONF_FILE);
const DEADLINE_MS = 20_000;

/** The values of `Key=` lines of the unit (comments skipped), in order. */
function unitValues(key: string, text = UNIT): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) =>
    l.slice(key.length + 1)
  );
}

/** The unit in its `deno run` form: the commented lines in place of the executable's. */
function denoForm(unit: string): string {
  return unit.split("\n")
    .filter((l) => !/^Exec\w+=\/usr\/local\/bin\/webserv /.test(l))
    .map((l) => l.replace(/^#(Exec\w+=\/usr\/local\/bin\/deno run )/, "$1"))
    .join("\n");
}

const analyze = await isInstalled("systemd-analyze");

Deno.test({
  name: analyze
    ? "systemd-analyze verify accepts deploy/webserv.service, as the executable and as deno run"
    : "systemd-analyze verify accepts deploy/webserv.service (skipped: systemd-analyze is not " +
      "installed; apt-get install systemd)",
  ignore: !analyze,
  async fn() {
    const deno = Deno.execPath();
    const forms = {
      // verify checks that the programs exist: the real deno stands in for the executable.
      executable: UNIT.replaceAll("/usr/local/bin/webserv", deno),
      "deno run": denoForm(UNIT).replaceAll("/usr/local/bin/deno", deno),
    };
    assert.equal(unitValues("ExecStart", forms["deno run"]).length, 1);
    assert.match(unitValues("ExecStart", forms["deno run"])[0]!, / run .*main\.ts /);
    const dir = await Deno.makeTempDir({ prefix: "webserv-unit-" });
    try {
      for (const [form, text] of Object.entries(forms)) {
        const file = join(dir, "webserv.service");
        await Deno.writeTextFile(file, text);
        const out = await new Deno.Command("systemd-analyze", {
          args: ["verify", file],
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(DEADLINE_MS),
        }).output();
        const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, `${form}: ${said}`);
        assert.equal(said.trim(), "", `${form}: ${said}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the unit and deploy/webserv.conf agree on directories, reload and limits", () => {
  const config = parseConfig(CONF, "/etc/webserv/webserv.conf");
  const state = unitValues("StateDirectory").flatMap((v) => v.split(" ")).map((d) =>
    `/var/lib/${d}`
  );
  const logs = unitValues("LogsDirectory").map((d) => `/var/log/${d}`);
  const runtime = unitValues("RuntimeDirectory").map((d) => `/run/${d}`);
  const inside = (dirs: string[], path: string) => dirs.some((d) => path.startsWith(d + "/"));
  assert.ok(inside(runtime, pidFilePath(config)), pidFilePath(config));
  assert.ok(config.errorLog.target !== "stderr" && inside(logs, config.errorLog.target));
  for (const server of config.servers) {
    assert.ok(server.sessions.store !== null && state.includes(server.sessions.store));
    for (const settings of [server, ...eachLocation(server)]) {
      for (const log of settings.accessLogs) assert.ok(inside(logs, log.path), log.path);
      if (settings.uploadStore !== null) assert.ok(state.includes(settings.uploadStore));
    }
  }
  assert.ok(Number(unitValues("LimitNOFILE")[0]) > config.limits.workerConnections);
  for (const line of [...unitValues("ExecReload"), ...unitValues("#ExecReload")]) {
    assert.match(line, / -s reload \/etc\/webserv\/webserv\.conf$/);
  }
  assert.deepEqual(unitValues("Environment").filter((e) => e.startsWith("DENO_TOKIO")), [
    "DENO_TOKIO_EVENT_INTERVAL=1 DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=64",
  ]);
  for (
    const [key, value] of Object.entries({
      DynamicUser: "yes",
      AmbientCapabilities: "CAP_NET_BIND_SERVICE",
      Restart: "on-failure",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      NoNewPrivileges: "yes",
    })
  ) {
    assert.deepEqual(unitValues(key), [value], key);
  }
});

Deno.test("deploy/webserv.conf passes -t and serves, with its directories under a temporary root", async () => {
  const root = await Deno.makeTempDir({ prefix: "webserv-vps-" });
  try {
    // What systemd and the README's steps make: the unit's directories and the site.
    for (const dir of ["var/lib/webserv/uploads", "var/lib/webserv/sessions", "var/log/webserv"]) {
      await Deno.mkdir(join(root, dir), { recursive: true });
    }
    await Deno.mkdir(join(root, "run", "webserv"), { recursive: true });
    await Deno.mkdir(join(root, "srv", "www"), { recursive: true });
    await Deno.mkdir(join(root, "srv", "cgi"), { recursive: true });
    await Deno.writeTextFile(join(root, "srv", "www", "index.html"), "<h1>it works</h1>\n");
    const text = CONF
      .replace(/listen 80 default_server;/, "listen 127.0.0.1:0 default_server;")
      .replace(/listen 443 ssl default_server;/, "listen 127.0.0.2:0 ssl default_server;")
      // Tests talk to loopback only: the CA is a closed port, so the order fails (and says so).
      .replace(
        /uri https:\/\/acme-v02\.api\.letsencrypt\.org\/directory;/,
        "uri https://127.0.0.1:1/directory;",
      )
      .replaceAll(/ \/(var|run|srv)\//g, ` ${root}/$1/`);
    const conf = join(root, "webserv.conf");
    await Deno.writeTextFile(conf, text);
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "-t", conf],
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(DEADLINE_MS),
    }).output();
    const said = new TextDecoder().decode(check.stderr);
    assert.equal(check.code, 0, said);
    assert.match(said, /syntax is ok/);

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, conf],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const bound = setTimeout(() => reader.cancel(), DEADLINE_MS);
    try {
      let out = "";
      let port: string | undefined;
      while (port === undefined) {
        const { value, done } = await reader.read();
        assert.ok(!done, `server exited: ${out}`);
        out += value;
        port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      }
      const base = `http://127.0.0.1:${port}`;
      const home = await fetch(`${base}/`);
      assert.equal(home.status, 200);
      assert.equal(home.headers.get("server"), "webserv");
      assert.equal(await home.text(), "<h1>it works</h1>\n");
      const up = await fetch(`${base}/uploads/note.txt`, { method: "POST", body: "kept\n" });
      await up.body?.cancel();
      assert.equal(up.status, 201);
      assert.equal(
        await Deno.readTextFile(join(root, "var", "lib", "webserv", "uploads", "note.txt")),
        "kept\n",
      );
      assert.equal(await (await fetch(`${base}/uploads/note.txt`)).text(), "kept\n");
      const pid = (await Deno.readTextFile(join(root, "run", "webserv", "webserv.pid"))).trim();
      assert.match(pid, /^\d+$/);
      const quit = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "-s", "quit", conf],
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(DEADLINE_MS),
      }).output();
      assert.equal(quit.code, 0, new TextDecoder().decode(quit.stderr));
      while (!(await reader.read()).done);
      assert.equal((await child.status).code, 0);
      const access = await Deno.readTextFile(join(root, "var", "log", "webserv", "access.log"));
      assert.match(access, /"POST \/uploads\/note\.txt HTTP\/1\.1" 201 /);
      // HTTPS is configured: the certificate was ordered (from the closed port, in vain).
      const errors = await Deno.readTextFile(join(root, "var", "log", "webserv", "error.log"));
      assert.match(
        errors,
        /\[error\] .*acme: "example\.com www\.example\.com" from issuer "letsencrypt": failed: /,
      );
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
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
