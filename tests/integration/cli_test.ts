/** The command line: -t, -V, -h, bad configs, and a graceful exit on SIGTERM (a real process). */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");
const MAIN = join(ROOT, "main.ts");

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("webserv -t accepts the default config and every example", async () => {
  const examples = [join(ROOT, "config", "default.conf")];
  for await (const e of Deno.readDir(join(ROOT, "config", "examples"))) {
    // A directory is a site of several files: its main one is nginx.conf (config/examples/nginx/).
    if (e.isDirectory) examples.push(join(ROOT, "config", "examples", e.name, "nginx.conf"));
    else if (e.name.endsWith(".conf")) examples.push(join(ROOT, "config", "examples", e.name));
  }
  for (const file of examples) {
    const res = await run(["-t", file]);
    assert.equal(res.code, 0, `${file}: ${res.stderr}`);
    assert.match(res.stderr, /syntax is ok/);
  }
});

Deno.test("webserv -t refuses a bad config with file:line: message and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "bad.conf");
    await Deno.writeTextFile(file, "server {\n  listen 8080;\n  lisen 80;\n}\n");
    const res = await run(["-t", file]);
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim(), `webserv: ${file}:3: unknown directive "lisen"`);
    const missing = await run(["-t", join(dir, "missing.conf")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing\.conf: cannot open/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("webserv -t reports, with file:line, what only shows when the config is used", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [body: string, line: number, message: string][] = [
      ["return 302 https://$hostt$request_uri;", 2, 'unknown "hostt" variable'],
      ["listen notanumber;", 2, 'host not found in "notanumber" of the "listen" directive'],
      // nginx names the server block's line for this one.
      ["listen 443 ssl;", 1, 'no "ssl_certificate" is defined for the "listen ... ssl" directive'],
      ["listen 80 default_server;\n  listen 81;", 0, ""],
      [
        "location /up/ {\n    upload_store missing/;\n  }",
        3,
        `upload_store "${dir}/missing" does not exist`,
      ],
      [
        "session_store memcached://127.0.0.1:11211;",
        2,
        'session store "memcached://127.0.0.1:11211" is not supported: "memcached" stores do not exist yet',
      ],
      [
        "session_store redis://127.0.0.1:6379/sessions;",
        2,
        'invalid session store "redis://127.0.0.1:6379/sessions": its path must be a database number',
      ],
      ["session_store redis://127.0.0.1:6379/0;", 0, ""],
    ];
    for (const [body, line, message] of cases) {
      const file = join(dir, "t.conf");
      await Deno.writeTextFile(file, `server {\n  ${body}\n}\n`);
      const res = await run(["-t", file]);
      if (line === 0) {
        assert.equal(res.code, 0, res.stderr);
        continue;
      }
      assert.equal(res.code, 1, body);
      assert.equal(res.stderr.trim(), `webserv: ${file}:${line}: ${message}`);
    }
    // A Redis session store that does not answer is a warning: the server would start (and
    // answer 503 for sessions until Redis is there).
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = probe.addr.port;
    probe.close();
    const redis = join(dir, "r.conf");
    await Deno.writeTextFile(
      redis,
      `server {\n  session_store redis://127.0.0.1:${closed}/0;\n}\n`,
    );
    const unanswered = await run(["-t", redis]);
    assert.equal(unanswered.code, 0, unanswered.stderr);
    assert.match(
      unanswered.stderr,
      new RegExp(
        `^webserv: \\[warn\\] ${redis}:2: session store "redis://127\\.0\\.0\\.1:${closed}/0" ` +
          "does not answer: ",
      ),
    );
    // A CGI interpreter that cannot be found is a warning: the rest of the site still works.
    const file = join(dir, "w.conf");
    await Deno.writeTextFile(file, "server {\n  cgi .rb no-such-ruby;\n}\n");
    const res = await run(["-t", file]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`^webserv: \\[warn\\] ${file}:2: cgi interpreter "no-such-ruby" not found in `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("webserv names the address it cannot listen on", async () => {
  const dir = await Deno.makeTempDir();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const file = join(dir, "t.conf");
    await Deno.writeTextFile(file, `server { listen 127.0.0.1:${taken.addr.port}; }\n`);
    const res = await run([file]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr.trim(),
      `webserv: cannot listen on 127.0.0.1:${taken.addr.port}: address already in use`,
    );
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("webserv -V and -h print and exit 0; an unknown option exits 2", async () => {
  const version = await run(["-V"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^webserv \d+\.\d+\.\d+\n$/);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: webserv/);
  const bad = await run(["--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown option "--bogus"/);
});

Deno.test("webserv serves until SIGTERM, then finishes and exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const conf = join(dir, "t.conf");
  await Deno.mkdir(join(dir, "site"));
  await Deno.writeTextFile(join(dir, "site", "index.html"), "up\n");
  await Deno.writeTextFile(conf, "access_log off;\nserver { listen 127.0.0.1:0; root site; }\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, conf],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // Read stderr up to the "listening on" line to learn the port.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let port: string | undefined;
    while (port === undefined) {
      const { value, done } = await reader.read();
      assert.ok(!done, `server exited: ${text}`);
      text += value;
      port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(text)?.[1];
    }
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "up\n");
    child.kill("SIGTERM");
    while (!(await reader.read()).done);
    const status = await child.status;
    assert.equal(status.code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP reloads the config file, and keeps the old one when the new one is broken", async () => {
  const dir = await Deno.makeTempDir();
  const conf = join(dir, "t.conf");
  for (const site of ["a", "b"]) {
    await Deno.mkdir(join(dir, site));
    await Deno.writeTextFile(join(dir, site, "index.html"), `site ${site}\n`);
  }
  await Deno.writeTextFile(conf, "access_log off;\nserver { listen 127.0.0.1:0; root a; }\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, conf],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  // Bounded: a server that never says what we wait for fails the test instead of hanging it.
  const bound = setTimeout(() => reader.cancel(), 20_000);
  let text = "";
  /** Reads stderr until `pattern` matches what came since the last call. */
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = pattern.exec(text);
      if (m !== null) {
        text = text.slice(m.index + m[0].length);
        return m;
      }
      const { value, done } = await reader.read();
      assert.ok(!done, `server exited: ${text}`);
      text += value;
    }
  };
  try {
    const port = (await waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]!;
    const get = async () => await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal(await get(), "site a\n");
    await Deno.writeTextFile(conf, `server { listen 127.0.0.1:${port}; root b; lisen 1; }\n`);
    child.kill("SIGHUP");
    await waitFor(/reload failed, keeping the running configuration: .*unknown directive "lisen"/);
    assert.equal(await get(), "site a\n");
    await Deno.writeTextFile(
      conf,
      `access_log off;\nserver { listen 127.0.0.1:${port}; root b; }\n`,
    );
    child.kill("SIGHUP");
    await waitFor(/configuration .* reloaded/);
    assert.equal(await get(), "site b\n");
    child.kill("SIGTERM");
    while (!(await reader.read()).done);
    assert.equal((await child.status).code, 0);
  } finally {
    clearTimeout(bound);
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
