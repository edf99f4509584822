import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { lighttpdCgiConfig, webservCgiConfig } from "./_cgi_servers.ts";
import { isInstalled } from "./_child.ts";

const REPO = resolve(import.meta.dirname ?? ".", "../..");
const INTERPRETERS = [
  { ext: ".py", path: "/usr/bin/python3" },
  { ext: ".php", path: "/usr/bin/php-cgi" },
];
const HAS_LIGHTTPD = await isInstalled("/usr/sbin/lighttpd");

Deno.test("webservCgiConfig() runs each interpreter's files in one location", () => {
  assert.equal(
    webservCgiConfig("/tmp/x/cgi", INTERPRETERS),
    [
      "server {",
      "  listen 127.0.0.1:0;",
      "  root /tmp/x/cgi;",
      "  access_log off;",
      "  location / {",
      "    cgi .py /usr/bin/python3;",
      "    cgi .php /usr/bin/php-cgi;",
      "  }",
      "}",
      "",
    ].join("\n"),
  );
});

Deno.test("lighttpdCgiConfig() loads mod_cgi and assigns each interpreter", () => {
  const conf = lighttpdCgiConfig("/tmp/x/cgi", "/tmp/x/lighttpd", 8123, INTERPRETERS);
  assert.match(conf, /^server\.document-root = "\/tmp\/x\/cgi"$/m);
  assert.match(conf, /^server\.port = 8123$/m);
  assert.match(conf, /^server\.errorlog = "\/tmp\/x\/lighttpd\/error\.log"$/m);
  assert.match(conf, /^server\.modules \+= \("mod_cgi"\)$/m);
  assert.match(
    conf,
    /^cgi\.assign = \("\.py" => "\/usr\/bin\/python3", "\.php" => "\/usr\/bin\/php-cgi"\)$/m,
  );
});

/** Runs `cmd` and returns its exit code and output. */
async function check(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("webservCgiConfig() passes webserv -t", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-bench-test-" });
  try {
    const conf = join(dir, "webserv.conf");
    await Deno.writeTextFile(conf, webservCgiConfig(dir, INTERPRETERS));
    const result = await check(Deno.execPath(), ["run", "-A", join(REPO, "main.ts"), "-t", conf]);
    assert.equal(result.code, 0, result.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "lighttpdCgiConfig() passes lighttpd -tt",
  ignore: !HAS_LIGHTTPD,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "webserv-bench-test-" });
    try {
      const conf = join(dir, "lighttpd.conf");
      await Deno.writeTextFile(conf, lighttpdCgiConfig(dir, dir, 8123, INTERPRETERS));
      const result = await check("/usr/sbin/lighttpd", ["-tt", "-f", conf]);
      assert.equal(result.code, 0, result.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
