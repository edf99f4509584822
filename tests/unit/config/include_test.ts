/** `include`, `http { }` and `events { }`, and nginx directives webserv does not implement. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../../../lib/config/load.ts";

/** Writes `files` into a new directory, runs `fn` with it, removes it. */
async function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "include_test_" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function loadError(path: string): Promise<string> {
  try {
    await loadConfig(path);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
    return e.message;
  }
  throw new Error("the configuration loaded");
}

Deno.test("include reads files and masks, sorted, relative to the main file's directory", async () => {
  await withFiles({
    "nginx.conf": "http {\n  include conf.d/*.conf;\n  include extra/one.conf;\n}\n",
    "conf.d/b.conf": "server { listen 127.0.0.1:0; server_name b; }\n",
    "conf.d/a.conf": "server { listen 127.0.0.1:0; server_name a; include snippets/root.conf; }\n",
    "conf.d/.hidden.conf": "not even nginx syntax",
    "conf.d/c.txt": "not matched",
    // Relative to the main file's directory, also from an included file.
    "snippets/root.conf": "root www;\n",
    "extra/one.conf": "server { listen 127.0.0.1:0; server_name one; }\n",
  }, async (dir) => {
    const { config } = await loadConfig(join(dir, "nginx.conf"));
    assert.deepEqual(config.servers.map((s) => s.serverNames[0]), ["a", "b", "one"]);
    assert.equal(config.servers[0]!.root, join(dir, "www"));
  });
});

Deno.test("include: a mask may match nothing, a named file must exist", async () => {
  await withFiles({
    "a.conf": "include none/*.conf;\nserver { listen 127.0.0.1:0; }\n",
    "b.conf": "server {\n  listen 127.0.0.1:0;\n  include missing.conf;\n}\n",
  }, async (dir) => {
    assert.equal((await loadConfig(join(dir, "a.conf"))).config.servers.length, 1);
    assert.equal(
      await loadError(join(dir, "b.conf")),
      `${join(dir, "b.conf")}:3: open() "${
        join(dir, "missing.conf")
      }" failed (No such file or directory)`,
    );
  });
});

Deno.test("include: errors name the included file and its line", async () => {
  await withFiles({
    "main.conf": "server {\n  include site.conf;\n}\n",
    "site.conf": "listen 127.0.0.1:0;\n\nlisen 80;\n",
  }, async (dir) => {
    assert.equal(
      await loadError(join(dir, "main.conf")),
      `${join(dir, "site.conf")}:3: unknown directive "lisen"`,
    );
  });
});

Deno.test("include: a loop is refused with the chain of files", async () => {
  await withFiles({
    "main.conf": "include a.conf;\nserver {}\n",
    "a.conf": "include b.conf;\n",
    "b.conf": "\ninclude a.conf;\n",
  }, async (dir) => {
    const a = join(dir, "a.conf");
    const b = join(dir, "b.conf");
    assert.equal(
      await loadError(join(dir, "main.conf")),
      `${b}:2: include loop: "${a}" includes "${b}" includes "${a}"`,
    );
  });
});

Deno.test("http { } and events { } hold what nginx puts there", () => {
  const config = parseConfig(
    "user www-data;\nworker_processes auto;\nevents {\n  worker_connections 512;\n  use epoll;\n}\n" +
      "http {\n  sendfile on;\n  root /www;\n  keepalive_timeout 10;\n" +
      "  server { listen 127.0.0.1:0; }\n}\n",
    "/etc/nginx/nginx.conf",
  );
  assert.equal(config.limits.workerConnections, 512);
  assert.equal(config.workerProcesses, "auto");
  assert.equal(config.servers[0]!.root, "/www");
  assert.equal(config.servers[0]!.keepaliveTimeout, 10_000);
  assert.deepEqual(config.notices, [
    '/etc/nginx/nginx.conf:1: "user" has no effect: webserv runs as the user that starts it (systemd: User=)',
    '/etc/nginx/nginx.conf:5: "use" has no effect: Deno chooses the event mechanism',
    '/etc/nginx/nginx.conf:8: "sendfile" has no effect: Deno has no sendfile: files go through a pooled 256 KiB buffer',
  ]);
});

Deno.test("nginx directives webserv lacks are named as such; others are unknown", () => {
  const cases: [string, string][] = [
    [
      "server {\n  fastcgi_pass 127.0.0.1:9000;\n}",
      '2: "fastcgi_pass" directive is not supported by webserv',
    ],
    ["stream {\n}\nserver {}", '1: "stream" directive is not supported by webserv'],
    [
      "server {\n  ssl_stapling_file x.der;\n}",
      '2: "ssl_stapling_file" directive is not supported by webserv',
    ],
    ["server {\n  lisen 80;\n}", '2: unknown directive "lisen"'],
    ["http {}\nhttp {}", '2: "http" directive is duplicate'],
    ["events { root /x; }\nserver {}", '1: "root" directive is not allowed here'],
    ["server { events {} }", '1: "events" directive is not allowed here'],
    ["http { server { sendfile on; sendfile off; listen 1; } }", ""],
  ];
  for (const [text, message] of cases) {
    if (message === "") {
      parseConfig(text, "x.conf");
      continue;
    }
    assert.throws(() => parseConfig(text, "x.conf"), { message: `x.conf:${message}` }, text);
  }
});
