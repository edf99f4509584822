/**
 * config/examples/nginx/: an nginx-style site (http { }, events { }, include mime.types and
 * conf.d/*.conf) that both `webserv -t` and `nginx -t` accept, and that webserv serves as its
 * comments say: the SPA fallback, cached assets, security headers (always), the 404 page, the
 * admin area (satisfy any: 127.0.0.1, or the password), the rate-limited API and the access log
 * in the "main" format. The site runs from a copy whose listen is 127.0.0.1:0.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { join, relative } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { startServer } from "../../lib/server/listener.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const MAIN = join(ROOT, "main.ts");
const EXAMPLE = join(ROOT, "config", "examples", "nginx");
const CONF = join(EXAMPLE, "nginx.conf");
const NGINX = "/usr/sbin/nginx";
/** The demo password, as the comment in conf.d/site.conf gives it. */
const PASSWORD = "webserv-demo";

const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
};

/** One line of `log_format main` (nginx.conf). */
const MAIN_LINE = new RegExp(
  String.raw`^127\.0\.0\.[12] - (-|admin) ` +
    String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] ` +
    String.raw`"[A-Z]+ \S+ HTTP/1\.1" \d{3} \d+ "[^"]*" "[^"]*" rt=\d+\.\d{3}$`,
);

interface Answer {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  body: string;
}

interface RequestOptions {
  /** The client's source address (127.0.0.2 is not allowed into /admin/ without a password). */
  from?: string;
  /** "user:password" for Basic authentication. */
  auth?: string;
}

/** One GET over a connection of its own (Connection: close), from `options.from`. */
function get(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  const { from = "127.0.0.1", auth } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    const decoder = new TextDecoder();
    let text = "";
    socket.on("connect", () => {
      const authorization = auth === undefined ? "" : `Authorization: Basic ${btoa(auth)}\r\n`;
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: nginx-example-test\r\n` +
          `${authorization}Connection: close\r\n\r\n`,
      );
    });
    socket.on("data", (chunk: Uint8Array) => text += decoder.decode(chunk, { stream: true }));
    socket.on("close", () => {
      text += decoder.decode();
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        reject(new Error(`GET ${path}: no response head in "${text}"`));
        return;
      }
      const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]),
        headers,
        body: text.slice(end + 4),
      });
    });
    socket.on("error", reject);
  });
}

/** Asserts the four `add_header … always` headers of conf.d/site.conf. */
function assertSecurityHeaders(res: Answer, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(res.headers.get(name), value, `${what}: ${name}`);
  }
}

/** Copies a directory tree, leaving out what the servers wrote to logs/ (but its .gitignore). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory) await copyTree(source, target);
    else if (relative(EXAMPLE, from) !== "logs" || entry.name === ".gitignore") {
      await Deno.copyFile(source, target);
    }
  }
}

/** Runs a command to its end: its exit code and what it printed (stdout, then stderr). */
async function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("webserv -t accepts config/examples/nginx/nginx.conf, without warnings", async () => {
  const res = await run(Deno.execPath(), ["run", "-A", MAIN, "-t", CONF]);
  assert.equal(res.code, 0, res.output);
  assert.match(res.output, /syntax is ok/);
  // Notices about directives without effect (sendfile, …) are expected.
  assert.doesNotMatch(res.output, /\[(warn|error|emerg)\]/, res.output);
});

const nginxInstalled = await Deno.stat(NGINX).then((i) => i.isFile, () => false);

Deno.test({
  name: nginxInstalled
    ? "nginx -t accepts config/examples/nginx/nginx.conf, without warnings"
    : `nginx -t accepts config/examples/nginx/nginx.conf (skipped: "${NGINX}" is missing)`,
  ignore: !nginxInstalled,
  async fn() {
    // nginx opens the logs and the pid file (logs/…, relative to the prefix) even with -t: the
    // prefix is a temporary directory with a logs/ in it. -e: the log nginx writes to until it
    // has read error_log.
    const prefix = await Deno.makeTempDir({ prefix: "webserv-nginx-example-" });
    try {
      await Deno.mkdir(join(prefix, "logs"));
      const res = await run(NGINX, [
        "-t",
        "-c",
        CONF,
        "-p",
        `${prefix}/`,
        "-e",
        join(prefix, "stderr.log"),
      ]);
      assert.equal(res.code, 0, res.output);
      assert.match(res.output, /test is successful/);
      assert.doesNotMatch(res.output, /\[(warn|emerg|alert|crit)\]/, res.output);
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});

Deno.test("the nginx example serves its site as its comments say", async (t) => {
  // The copy keeps the repository's layout, for `include ../../mime.types;`.
  const dir = await Deno.makeTempDir({ prefix: "webserv-nginx-example-" });
  const site = join(dir, "config", "examples", "nginx");
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    await copyTree(EXAMPLE, site);
    await Deno.copyFile(join(ROOT, "config", "mime.types"), join(dir, "config", "mime.types"));
    const siteConf = join(site, "conf.d", "site.conf");
    const text = await Deno.readTextFile(siteConf);
    assert.ok(text.includes(`password "${PASSWORD}"`), "site.conf names the demo password");
    const listens = text.match(/^\s*listen\s+[^;]*;/gm) ?? [];
    assert.equal(listens.length, 1, "site.conf has one listen");
    await Deno.writeTextFile(
      siteConf,
      text.replace(/^(\s*)listen\s+[^;]*;/m, "$1listen 127.0.0.1:0;"),
    );

    server = await startServer((await loadConfig(join(site, "nginx.conf"))).config);
    const port = server.addrs[0]!.port;
    const www = (path: string) => Deno.readTextFile(join(site, "www", path));

    await t.step("an application route is answered with index.html", async () => {
      for (const path of ["/some/route", "/some/route?tab=2", "/"]) {
        const res = await get(port, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        assert.equal(res.body, await www("index.html"), path);
        assertSecurityHeaders(res, path);
        // expires is for the assets only.
        assert.equal(res.headers.get("cache-control"), undefined, path);
      }
    });

    await t.step("assets are served with expires 7d", async () => {
      for (
        const [path, type] of [["/assets/app.css", "text/css"], [
          "/assets/app.js",
          "text/javascript",
        ]]
      ) {
        const res = await get(port, path!);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), type, path);
        assert.equal(res.body, await www(path!.slice(1)), path);
        assert.equal(res.headers.get("cache-control"), "max-age=604800", path);
        const expires = Date.parse(res.headers.get("expires") ?? "");
        const date = Date.parse(res.headers.get("date") ?? "");
        assert.ok(Math.abs(expires - date - 604_800_000) <= 1000, `${path}: Expires 7 days on`);
        assertSecurityHeaders(res, path!);
      }
    });

    await t.step("a missing asset is the 404 page, with the security headers", async () => {
      for (const path of ["/assets/missing.js", "/ASSETS/APP.CSS", "/admin/missing"]) {
        const res = await get(port, path);
        assert.equal(res.status, 404, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        assert.equal(res.body, await www("404.html"), path);
        assertSecurityHeaders(res, path);
        // Not cached: expires applies to successful answers only.
        assert.equal(res.headers.get("cache-control"), undefined, path);
        assert.equal(res.headers.get("expires"), undefined, path);
      }
    });

    await t.step("nothing outside www/ is served", async () => {
      for (const path of ["/htpasswd", "/nginx.conf", "/logs/access.log"]) {
        const res = await get(port, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.body, await www("index.html"), path);
      }
    });

    await t.step("/admin/: 127.0.0.1 comes in, other addresses need the password", async () => {
      const admin = await www("admin/index.html");
      const local = await get(port, "/admin/");
      assert.equal(local.status, 200);
      assert.equal(local.body, admin);
      const anonymous = await get(port, "/admin/", { from: "127.0.0.2" });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get("www-authenticate"), 'Basic realm="Admin area"');
      assertSecurityHeaders(anonymous, "401");
      const wrong = await get(port, "/admin/", { from: "127.0.0.2", auth: "admin:wrong" });
      assert.equal(wrong.status, 401);
      const ok = await get(port, "/admin/", { from: "127.0.0.2", auth: `admin:${PASSWORD}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, admin);
      // `location ^~ /admin/`: the assets regex does not take /admin/admin.css past the password.
      const css = await get(port, "/admin/admin.css", { from: "127.0.0.2" });
      assert.equal(css.status, 401);
      const allowed = await get(port, "/admin/admin.css", { auth: `admin:${PASSWORD}` });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get("content-type"), "text/css");
      assert.equal(allowed.body, await www("admin/admin.css"));
    });

    await t.step("/api/: the burst of 10 passes, then 503, per address", async () => {
      const statuses: number[] = [];
      let refused: Answer | null = null;
      // 10 requests a second: the test's requests come much faster, but a slow machine may
      // regain a slot or two.
      for (let i = 0; i < 40 && refused === null; i++) {
        const res = await get(port, `/api/items/${i}`);
        statuses.push(res.status);
        if (res.status === 200) {
          assert.equal(res.headers.get("content-type"), "application/json");
          assert.equal(res.body, '{"ok":true}');
        } else refused = res;
      }
      // One for the rate, ten for the burst (nodelay: all at once).
      assert.deepEqual(statuses.slice(0, 11), Array(11).fill(200), String(statuses));
      assert.ok(refused !== null, `no 503 in ${statuses}`);
      assert.equal(refused.status, 503);
      assertSecurityHeaders(refused, "503");
      // The zone counts per address: another client still gets in.
      assert.equal((await get(port, "/api/items/0", { from: "127.0.0.2" })).status, 200);
    });

    await t.step("the access log has a line in the main format for each request", async () => {
      // The shutdown flushes the logs.
      const running = server!;
      server = null;
      await running.shutdown();
      const lines = (await Deno.readTextFile(join(site, "logs", "access.log")))
        .split("\n").filter((l) => l !== "");
      assert.ok(lines.length >= 25, `${lines.length} lines`);
      for (const line of lines) assert.match(line, MAIN_LINE);
      const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), String(re));
      has(
        /^127\.0\.0\.1 - - \[.*\] "GET \/some\/route HTTP\/1\.1" 200 \d+ "-" "nginx-example-test" rt=/,
      );
      has(/^127\.0\.0\.2 - - \[.*\] "GET \/admin\/ HTTP\/1\.1" 401 /);
      has(/^127\.0\.0\.2 - admin \[.*\] "GET \/admin\/ HTTP\/1\.1" 200 /);
      has(/ "GET \/api\/items\/\d+ HTTP\/1\.1" 503 /);
      // limit_req logs what it refuses (at error, nginx's default limit_req_log_level).
      const errors = await Deno.readTextFile(join(site, "logs", "error.log"));
      assert.match(errors, /limiting requests/);
    });
  } finally {
    await server?.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
