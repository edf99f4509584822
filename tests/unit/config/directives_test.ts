/** What each directive stores, read back through parseConfig. */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import type { LocationConfig, ServerConfig, Settings } from "../../../lib/config/types.ts";
import { returnOf, template } from "../_fixtures.ts";

const FILE = "/etc/webserv/site.conf";

function server(body: string, main = ""): ServerConfig {
  const config = parseConfig(`${main}\nserver {\n${body}\n}\n`, FILE);
  assert.equal(config.servers.length, 1);
  return config.servers[0]!;
}

/** The four timeouts of a block, by short name. */
function timeouts(s: Settings) {
  return {
    clientHeader: s.clientHeaderTimeout,
    clientBody: s.clientBodyTimeout,
    keepalive: s.keepaliveTimeout,
    send: s.sendTimeout,
  };
}

function location(server: ServerConfig, path: string, exact = false): LocationConfig {
  const found = server.locations.find((l) => l.path === path && (l.modifier === "=") === exact);
  assert.ok(found, `no location "${path}"`);
  return found;
}

Deno.test("parseConfig() reads several listen addresses in order", () => {
  const text = "listen 8080;\nlisten [::1]:0 default_server;\nlisten localhost:81;";
  assert.deepEqual(server(text).listen, [
    { host: "0.0.0.0", port: 8080, defaultServer: false, ssl: false },
    { host: "::1", port: 0, defaultServer: true, ssl: false },
    { host: "localhost", port: 81, defaultServer: false, ssl: false },
  ]);
});

Deno.test("parseConfig() lets http-level settings stand at the top and inherit into servers", () => {
  const config = parseConfig(
    "root /www;\nkeepalive_timeout 5s;\nclient_max_body_size 2m;\n" +
      "server {\n}\nserver {\nroot /other;\nlocation /a/ { keepalive_timeout 0; }\n}\n",
    FILE,
  );
  const [first, second] = config.servers;
  assert.equal(first!.root, "/www");
  assert.equal(first!.keepaliveTimeout, 5000);
  assert.equal(second!.root, "/other");
  assert.equal(second!.clientMaxBodySize, 2 * 1024 * 1024);
  assert.equal(location(second!, "/a/").keepaliveTimeout, 0);
  assert.equal(location(second!, "/").keepaliveTimeout, 5000);
});

Deno.test("parseConfig() lower-cases server names and drops repeats", () => {
  const names = server("server_name Example.COM www.example.com;\nserver_name EXAMPLE.com a;")
    .serverNames;
  assert.deepEqual(names, ["example.com", "www.example.com", "a"]);
});

Deno.test("parseConfig() appends repeated index directives", () => {
  assert.deepEqual(server("index a.html;\nindex b.html c.htm;").index, [
    "a.html",
    "b.html",
    "c.htm",
  ]);
});

Deno.test("parseConfig() reads autoindex case-insensitively", () => {
  assert.equal(server("autoindex ON;").autoindex, true);
  assert.equal(server("autoindex off;").autoindex, false);
});

Deno.test("parseConfig() lets a later error_page win for the same code", () => {
  const pages = server("error_page 404 500 502 /a.html;\nerror_page 404 /b.html;").errorPages;
  assert.deepEqual([...pages], [[404, { uri: "/b.html" }], [500, { uri: "/a.html" }], [
    502,
    { uri: "/a.html" },
  ]]);
});

Deno.test("parseConfig() reads error_page's =response and named locations", () => {
  const pages = server(
    "error_page 404 =200 /index.html;\nerror_page 500 502 = @fallback;\n" +
      "error_page 403 https://e.test/denied;\nlocation @fallback { }",
  ).errorPages;
  assert.deepEqual([...pages], [
    [404, { uri: "/index.html", status: 200 }],
    [500, { uri: "@fallback", status: "page" }],
    [502, { uri: "@fallback", status: "page" }],
    [403, { uri: "https://e.test/denied" }],
  ]);
});

Deno.test("parseConfig() keeps rewrite and return in the order written", () => {
  const s = server(
    "rewrite ^/old/(.*)$ /new/$1 last;\nreturn 403;\nlocation /a/ { rewrite ^ /b/ break; }",
  );
  assert.deepEqual(s.script.map((step) => step.kind), ["rewrite", "return"]);
  const step = s.script[0]!;
  assert.ok(step.kind === "rewrite");
  assert.equal(step.rewrite.regex.source, "^\\/old\\/(.*)$");
  assert.equal(step.rewrite.replacement.source, "/new/$1");
  assert.equal(step.rewrite.flag, "last");
  const a = location(s, "/a/").script[0]!;
  assert.ok(a.kind === "rewrite" && a.rewrite.flag === "break");
});

Deno.test("parseConfig() reads try_files with a URI, a named location or a code to fall back on", () => {
  // A server's try_files applies where no location does: its implicit location /.
  const a = location(server("try_files $uri $uri/ /index.html;"), "/").tryFiles!;
  assert.deepEqual(a.files.map((t) => t.source), ["$uri", "$uri/"]);
  assert.deepEqual("uri" in a.fallback && a.fallback.uri.source, "/index.html");
  const b = server("location / { try_files $uri =404; }");
  assert.deepEqual(location(b, "/").tryFiles!.fallback, { code: 404 });
});

Deno.test("parseConfig() reads sizes and timeouts", () => {
  const s = server(
    "client_max_body_size 0;\nclient_header_timeout 500ms;\nclient_body_timeout 1m;\n" +
      "keepalive_timeout 0;\nsend_timeout 2;",
  );
  assert.equal(s.clientMaxBodySize, 0);
  assert.deepEqual(timeouts(s), {
    clientHeader: 500,
    clientBody: 60_000,
    keepalive: 0,
    send: 2000,
  });
});

Deno.test("parseConfig() reads cgi_timeout in servers and locations, 30 s by default", () => {
  assert.equal(server("").cgiTimeout, 30_000);
  const s = server("cgi_timeout 5s;\nlocation /a/ { cgi_timeout 250ms; }\nlocation /b/ { }");
  assert.equal(s.cgiTimeout, 5000);
  assert.equal(s.locations.find((l) => l.path === "/a/")!.cgiTimeout, 250);
  assert.equal(s.locations.find((l) => l.path === "/b/")!.cgiTimeout, 5000);
});

Deno.test("parseConfig() keeps unset timeouts at their defaults", () => {
  assert.deepEqual(timeouts(server("keepalive_timeout 5s;")), {
    clientHeader: 60_000,
    clientBody: 60_000,
    keepalive: 5000,
    send: 60_000,
  });
});

Deno.test("parseConfig() upper-cases methods and adds HEAD for GET", () => {
  assert.deepEqual(server("allow_methods get POST get;").allowMethods, ["GET", "POST", "HEAD"]);
  assert.deepEqual(server("allow_methods HEAD GET;").allowMethods, ["HEAD", "GET"]);
  assert.deepEqual(server("allow_methods DELETE;").allowMethods, ["DELETE"]);
});

Deno.test("parseConfig() reads return with and without text", () => {
  const s = server(
    "return 301 https://example.com/;\nlocation = /a { return 404; }\n" +
      'location /b/ { return 200 "hello\\n"; }\nlocation /c/ { return http://x/; }',
  );
  assert.deepEqual(returnOf(s), { code: 301, text: template("https://example.com/") });
  assert.deepEqual(returnOf(location(s, "/a", true)), { code: 404 });
  assert.deepEqual(returnOf(location(s, "/b/")), { code: 200, text: template("hello\n") });
  assert.deepEqual(returnOf(location(s, "/c/")), { code: 302, text: template("http://x/") });
  assert.equal(returnOf(location(s, "/")), null);
});

Deno.test("parseConfig() reads location modifiers", () => {
  const s = server("location = /a {}\nlocation =/b {}\nlocation ^~ /c/ {}\nlocation ^~/d/ {}");
  const found = s.locations.map((l) => [l.path, l.modifier === "="]);
  assert.deepEqual(found, [["/a", true], ["/b", true], ["/c/", false], ["/d/", false], [
    "/",
    false,
  ]]);
});

Deno.test("parseConfig() allows an exact and a prefix location with the same path", () => {
  const s = server("location = /a/ {}\nlocation /a/ {}");
  assert.ok(location(s, "/a/", true));
  assert.ok(location(s, "/a/", false));
});

Deno.test("parseConfig() keeps CGI interpreters per extension", () => {
  const s = server("cgi .py /usr/bin/python3;\ncgi .pl ../bin/perl;\ncgi .rb ruby;");
  assert.deepEqual([...s.cgi], [
    [".py", "/usr/bin/python3"],
    [".pl", "/etc/bin/perl"],
    [".rb", "ruby"],
  ]);
});

Deno.test("parseConfig() turns uploads off with upload_store off", () => {
  const s = server("upload_store up;\nlocation /a/ { upload_store off; }");
  assert.equal(s.uploadStore, "/etc/webserv/up");
  assert.equal(location(s, "/a/").uploadStore, null);
  assert.equal(location(s, "/").uploadStore, "/etc/webserv/up");
});

Deno.test("parseConfig() reads access_log in main and server", () => {
  const config = parseConfig(
    "access_log logs/access.log;\nserver {}\nserver { access_log off; }\n" +
      "server { access_log stdout; }\nserver { access_log /var/log/w.log; }",
    FILE,
  );
  assert.deepEqual(config.servers.map((s) => s.accessLogs.map((l) => l.path)), [
    ["/etc/webserv/logs/access.log"],
    [],
    ["stdout"],
    ["/var/log/w.log"],
  ]);
});

Deno.test("parseConfig() applies a main access_log written after the servers", () => {
  const config = parseConfig("server {}\naccess_log off;", FILE);
  assert.deepEqual(config.servers[0]?.accessLogs, []);
});

Deno.test("parseConfig() reads log_format and access_log with a format, several per level", () => {
  const config = parseConfig(
    "log_format main '$remote_addr \"$request\" $status';\n" +
      "log_format j escape=json '{\"s\":$status}';\n" +
      "server { access_log a.log main; access_log b.log j buffer=32k flush=5s; access_log c.log; }",
    FILE,
  );
  const logs = config.servers[0]!.accessLogs;
  assert.deepEqual(logs.map((l) => [l.path, l.format.name, l.format.escape]), [
    ["/etc/webserv/a.log", "main", "default"],
    ["/etc/webserv/b.log", "j", "json"],
    ["/etc/webserv/c.log", "combined", "default"],
  ]);
  assert.equal(logs[0]!.format.template.source, '$remote_addr "$request" $status');
  assert.throws(() => parseConfig("server { access_log a.log nope; }", FILE), {
    message: `${FILE}:1: unknown log format "nope"`,
  });
  assert.throws(() => parseConfig("log_format x '$nope';\nserver {}", FILE), {
    message: `${FILE}:1: unknown "nope" variable`,
  });
});

Deno.test("parseConfig() records where servers and locations are written", () => {
  const s = server("location /a/ {\n}", "# comment");
  assert.deepEqual(s.pos, { file: FILE, line: 2 });
  assert.deepEqual(location(s, "/a/").pos, { file: FILE, line: 3 });
});

Deno.test("parseConfig() reads the main-context limits, nginx's defaults otherwise", () => {
  const defaults = parseConfig("server {}", FILE).limits;
  assert.deepEqual(defaults, {
    workerConnections: 1024,
    maxRequestLine: 8192,
    maxHeadBytes: 32768,
    maxHeaders: 100,
    keepaliveRequests: 1000,
    cgiMaxProcesses: 64,
  });
  const config = parseConfig(
    "worker_connections 10;\nlarge_client_header_buffers 2 1k;\nmax_headers 5;\n" +
      "keepalive_requests 7;\ncgi_max_processes 3;\nserver {}",
    FILE,
  );
  assert.deepEqual(config.limits, {
    workerConnections: 10,
    maxRequestLine: 1024,
    maxHeadBytes: 2048,
    maxHeaders: 5,
    keepaliveRequests: 7,
    cgiMaxProcesses: 3,
  });
  assert.equal(config.servers[0]!.limits, config.limits);
});

Deno.test("parseConfig() refuses bad limits with file:line", () => {
  const cases: [string, string][] = [
    [
      "worker_connections 0;",
      'invalid value "0" in "worker_connections" directive, it must be between 1 and 999999999',
    ],
    ["max_headers lots;", '"max_headers" directive invalid number'],
    ["large_client_header_buffers 4 1x;", '"large_client_header_buffers" directive invalid value'],
    ["server { worker_connections 5; }", '"worker_connections" directive is not allowed here'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseConfig(`${text}\nserver {}`, FILE), {
      message: `${FILE}:1: ${message}`,
    });
  }
});
