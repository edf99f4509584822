import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../../../lib/config/load.ts";
import { returnOf, template } from "../_fixtures.ts";

const REPO = resolve(import.meta.dirname ?? ".", "../../..");
const TESTDATA = join(REPO, "tests/testdata/config");

Deno.test("loadConfig() loads config/default.conf", async () => {
  const config = (await loadConfig(join(REPO, "config/default.conf"))).config;
  assert.equal(config.file, join(REPO, "config/default.conf"));
  const [s] = config.servers;
  assert.ok(s);
  assert.deepEqual(s.listen, [{ host: "127.0.0.1", port: 8080, defaultServer: false, ssl: false }]);
  assert.equal(s.root, join(REPO, "public"));
  for (const code of [403, 404, 405, 413, 500]) {
    assert.deepEqual(s.errorPages.get(code), { uri: `/errors/${code}.html` });
  }
  const byPath = new Map(s.locations.map((l) => [l.path, l]));
  const cgi = byPath.get("/cgi-bin/");
  assert.equal(cgi?.alias, join(REPO, "cgi"));
  assert.deepEqual([...(cgi?.cgi ?? [])], [
    [".php", "/usr/bin/php-cgi"],
    [".py", "/usr/bin/python3"],
    [".pl", "/usr/bin/perl"],
  ]);
  const uploads = byPath.get("/uploads/");
  assert.equal(uploads?.root, join(REPO, "public"));
  assert.equal(uploads?.autoindex, true);
  assert.deepEqual(uploads?.allowMethods, ["GET", "POST", "DELETE", "HEAD"]);
  assert.equal(uploads?.uploadStore, join(REPO, "public/uploads"));
  assert.equal(uploads?.clientMaxBodySize, 100 * 1024 * 1024);
  assert.equal(byPath.get("/files/")?.autoindex, true);
  assert.equal(byPath.get("/")?.autoindex, false);
});

Deno.test("loadConfig() loads every example", async () => {
  const dir = join(REPO, "config/examples");
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".conf")) names.push(entry.name);
  }
  assert.deepEqual(names.sort(), ["multi_port.conf", "redirects.conf", "virtual_hosts.conf"]);
  for (const name of names) {
    const config = (await loadConfig(join(dir, name))).config;
    assert.ok(config.servers.length >= 2, name);
    for (const server of config.servers) {
      assert.ok(server.locations.some((l) => l.path === "/" && l.modifier === ""), name);
    }
  }
  // config/examples/nginx/: http { }, include mime.types and conf.d/*.conf, one server.
  const nginx = (await loadConfig(join(dir, "nginx", "nginx.conf"))).config;
  assert.equal(nginx.servers.length, 1);
  assert.ok(nginx.servers[0]!.locations.some((l) => l.path === "/" && l.modifier === ""));
});

Deno.test("loadConfig() reads the examples as documented", async () => {
  const dir = join(REPO, "config/examples");
  const multi = (await loadConfig(join(dir, "multi_port.conf"))).config;
  assert.deepEqual(multi.servers.map((s) => s.listen[0]?.port), [8081, 8082]);
  const hosts = (await loadConfig(join(dir, "virtual_hosts.conf"))).config;
  assert.deepEqual(hosts.servers.map((s) => s.serverNames), [
    ["example.com", "www.example.com"],
    ["docs.example.com"],
  ]);
  assert.deepEqual(hosts.servers[0]?.listen, hosts.servers[1]?.listen);
  const redirects = (await loadConfig(join(dir, "redirects.conf"))).config;
  assert.deepEqual(returnOf(redirects.servers[0]!)?.code, 301);
  assert.deepEqual(returnOf(redirects.servers[0]!)?.text?.source, "http://new.example.com/");
  const health = redirects.servers[1]?.locations.find((l) => l.path === "/health");
  assert.deepEqual(returnOf(health!), { code: 200, text: template("ok\n") });
});

/** Parses a file without the checks that need I/O (its interpreters and store need not exist). */
async function readConfig(path: string) {
  return parseConfig(await Deno.readTextFile(path), path);
}

Deno.test("parseConfig() resolves relative paths against the config's directory", async () => {
  const config = await readConfig(join(TESTDATA, "relative_paths.conf"));
  const [s] = config.servers;
  assert.ok(s);
  assert.deepEqual(s.accessLogs.map((l) => l.path), [join(TESTDATA, "logs/access.log")]);
  assert.equal(s.root, join(TESTDATA, "site"));
  assert.equal(s.uploadStore, join(REPO, "tests/testdata/uploads"));
  assert.deepEqual([...s.cgi], [
    [".py", "/usr/bin/python3"],
    [".sh", join(TESTDATA, "bin/sh-wrapper")],
    [".rb", "ruby"],
  ]);
  const byPath = new Map(s.locations.map((l) => [l.path, l]));
  assert.equal(byPath.get("/alias/")?.alias, join(TESTDATA, "aliased"));
  assert.equal(byPath.get("/top/")?.root, "/");
  assert.equal(byPath.get("/dotted/")?.root, "/srv/x/z");
});

Deno.test("parseConfig() resolves a relative config path from the working directory", async () => {
  const path = relative(Deno.cwd(), join(TESTDATA, "relative_paths.conf"));
  const config = await readConfig(path);
  assert.equal(config.file, join(TESTDATA, "relative_paths.conf"));
  assert.equal(config.servers[0]?.root, join(TESTDATA, "site"));
});

Deno.test("loadConfig() names the file as given in error messages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "bad.conf");
    await Deno.writeTextFile(path, "server {\n  lisen 80;\n}\n");
    await assert.rejects(loadConfig(path), {
      name: "ConfigError",
      message: `${path}:2: unknown directive "lisen"`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() fails with line 0 for a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "missing.conf");
    await assert.rejects(loadConfig(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.line, 0);
      assert.equal(err.file, path);
      assert.ok(err.message.startsWith(`${path}: cannot open: `), err.message);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() fails for a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadConfig(dir), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(`${dir}: cannot open: `), err.message);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
