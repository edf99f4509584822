/** Every error the loader reports, with its position: config text → "file:line: message". */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../lib/config/load.ts";

/** Wraps directives in a server block that starts on line 1 (so they start on line 2). */
const inServer = (body: string) => `server {\n${body}\n}\n`;
/** Wraps directives in a location block inside a server (they start on line 3). */
const inLocation = (body: string) => `server {\nlocation / {\n${body}\n}\n}\n`;

const F = "conf/x.conf";

const ERRORS: Array<[text: string, expected: string]> = [
  // Syntax (lexer and parser).
  ["}", `${F}:1: unexpected "}"`],
  [inServer("root /x\n"), `${F}:4: unexpected "}"`],
  [inServer("{"), `${F}:2: unexpected "{"`],
  [inServer(";"), `${F}:2: unexpected ";"`],
  ["server {\n  listen 80", `${F}:2: unexpected end of file, expecting ";" or "}"`],
  ["server {\n  listen 80;\n", `${F}:3: unexpected end of file, expecting "}"`],
  ['server {\n  root "/x;\n}\n', `${F}:4: unexpected end of file, expecting ";" or "}"`],
  [inServer('root "/x"y;'), `${F}:2: unexpected "y"`],
  // Generic checks from the directive table.
  [inServer("lisen 80;"), `${F}:2: unknown directive "lisen"`],
  ["return 404;\nserver {}", `${F}:1: "return" directive is not allowed here`],
  ["listen 80;", `${F}:1: "listen" directive is not allowed here`],
  [inServer("server {}"), `${F}:2: "server" directive is not allowed here`],
  [inLocation("listen 80;"), `${F}:3: "listen" directive is not allowed here`],
  [
    inLocation("client_header_timeout 5s;"),
    `${F}:3: "client_header_timeout" directive is not allowed here`,
  ],
  [inServer("alias /x;"), `${F}:2: "alias" directive is not allowed here`],
  [inLocation("session_store s;"), `${F}:3: "session_store" directive is not allowed here`],
  [inServer("error_log e.log;"), `${F}:2: "error_log" directive is not allowed here`],
  ["server;", `${F}:1: directive "server" has no opening "{"`],
  [inServer("root /x { }"), `${F}:2: directive "root" is not terminated by ";"`],
  [inServer("listen;"), `${F}:2: invalid number of arguments in "listen" directive`],
  [inServer("listen 80 81;"), `${F}:2: invalid parameter "81"`],
  [
    inServer("listen 443 ssl;"),
    `${F}:1: no "ssl_certificate" is defined for the "listen ... ssl" directive`,
  ],
  // ACME (nginx's ngx_http_acme_module): what webserv cannot do is refused with the reason.
  ["acme_issuer le {\n}\nserver {}", `${F}:1: "uri" is missing in acme_issuer`],
  [
    "acme_issuer le {\nuri ftp://x/;\n}",
    `${F}:2: invalid URL "ftp://x/" in "uri" directive: http or https only`,
  ],
  [
    "acme_issuer le {\nuri https://x/;\n}\nacme_issuer le {\nuri https://y/;\n}",
    `${F}:4: duplicate acme_issuer "le"`,
  ],
  [
    "acme_issuer le {\nssl_verify off;\n}",
    `${F}:2: "ssl_verify off" is not supported by webserv: name the CA's root with "ssl_trusted_certificate"`,
  ],
  [
    "acme_issuer le {\nchallenge tls-alpn-01;\n}",
    `${F}:2: challenge "tls-alpn-01" is not supported by webserv: only "http-01"`,
  ],
  [
    "acme_issuer le {\naccount_key rsa:2048;\n}",
    `${F}:2: key type "rsa:2048" is not supported by webserv: only "ecdsa:256"`,
  ],
  [inServer("uri https://x/;"), `${F}:2: "uri" directive is not allowed here`],
  [inServer("acme_certificate nope;"), `${F}:2: unknown acme_issuer "nope"`],
  [
    "acme_issuer le {\nuri https://x/;\n}\n" +
    inServer("server_name *.a.test;\nacme_certificate le;"),
    `${F}:6: no names for "acme_certificate": give them, or a "server_name" without wildcards`,
  ],
  [
    "acme_issuer le {\nuri https://x/;\n}\n" + inServer("acme_certificate le *.a.test;"),
    `${F}:5: "*.a.test" cannot be a certificate name: no wildcards or expressions`,
  ],
  [
    inServer(
      "listen 443 ssl;\nssl_certificate $acme_certificate;\nssl_certificate_key $acme_certificate_key;",
    ),
    `${F}:3: $acme_certificate needs an "acme_certificate" in the same server`,
  ],
  [inServer("listen 443 http2;"), `${F}:2: "http2" parameter is not supported by webserv`],
  [
    "server {\nlisten 80 default_server;\n}\nserver {\nlisten 0.0.0.0:80 default_server;\n}",
    `${F}:5: a duplicate default server for 0.0.0.0:80`,
  ],
  [inServer("root;"), `${F}:2: invalid number of arguments in "root" directive`],
  [inServer("error_page 404;"), `${F}:2: invalid number of arguments in "error_page" directive`],
  [inServer("cgi .py;"), `${F}:2: invalid number of arguments in "cgi" directive`],
  [inServer("return 301 /a /b;"), `${F}:2: invalid number of arguments in "return" directive`],
  [inServer("location {}"), `${F}:2: invalid number of arguments in "location" directive`],
  ["server x {}", `${F}:1: invalid number of arguments in "server" directive`],
  [inServer("autoindex on;\nautoindex off;"), `${F}:3: "autoindex" directive is duplicate`],
  [inLocation("root /a;\nroot /b;"), `${F}:4: "root" directive is duplicate`],
  [inServer("rewrite ^/a$ /b nowhere;"), `${F}:2: invalid parameter "nowhere"`],
  [inServer("rewrite ^/a$;"), `${F}:2: invalid number of arguments in "rewrite" directive`],
  [inServer("try_files $uri;"), `${F}:2: invalid number of arguments in "try_files" directive`],
  [inServer("try_files $uri =x;"), `${F}:2: invalid code "=x"`],
  [inServer("try_files $urii /i;"), `${F}:2: unknown "urii" variable`],
  [
    inServer("error_page = /e.html;"),
    `${F}:2: invalid number of arguments in "error_page" directive`,
  ],
  ["server { access_log a.log main; }", `${F}:1: unknown log format "main"`],
  [
    "server { access_log a.log combined if=$x; }",
    `${F}:1: "if" parameter is not supported by webserv`,
  ],
  ["log_format main;\nserver {}", `${F}:1: invalid number of arguments in "log_format" directive`],
  // Values.
  [inServer("listen 99999;"), `${F}:2: invalid port in "99999" of the "listen" directive`],
  [
    inServer("listen 127.0.0.1:70000;"),
    `${F}:2: invalid port in "127.0.0.1:70000" of the "listen" directive`,
  ],
  [
    inServer("listen 300.1.1.1:80;"),
    `${F}:2: invalid host in "300.1.1.1:80" of the "listen" directive`,
  ],
  [inServer("listen :80;"), `${F}:2: no host in ":80" of the "listen" directive`],
  [inServer("listen 8080;\nlisten 0.0.0.0:8080;"), `${F}:3: a duplicate listen "0.0.0.0:8080"`],
  [
    inServer("autoindex maybe;"),
    `${F}:2: invalid value "maybe" in "autoindex" directive, it must be "on" or "off"`,
  ],
  [inServer("client_max_body_size 10x;"), `${F}:2: "client_max_body_size" directive invalid value`],
  [inServer("client_max_body_size -1;"), `${F}:2: "client_max_body_size" directive invalid value`],
  [inServer("keepalive_timeout 5q;"), `${F}:2: "keepalive_timeout" directive invalid value`],
  [
    inServer("send_timeout 30d;"),
    `${F}:2: invalid value "30d" in "send_timeout" directive, it must be between 0s and 24d`,
  ],
  [
    inServer("cgi_timeout 0;"),
    `${F}:2: invalid value "0" in "cgi_timeout" directive, it must be between 1ms and 24d`,
  ],
  [
    inServer("session_timeout 400d;"),
    `${F}:2: invalid value "400d" in "session_timeout" directive, it must be between 1ms and 365d`,
  ],
  [
    inServer("session_max 0;"),
    `${F}:2: invalid value "0" in "session_max" directive, it must be between 1 and 999999999`,
  ],
  [inServer("session_max x;"), `${F}:2: "session_max" directive invalid number`],
  [
    inServer("client_header_timeout -1;"),
    `${F}:2: "client_header_timeout" directive invalid value`,
  ],
  [inServer("client_body_timeout 1.5s;"), `${F}:2: "client_body_timeout" directive invalid value`],
  [inServer("error_page abc /e.html;"), `${F}:2: invalid value "abc"`],
  [inServer("error_page 200 /e.html;"), `${F}:2: value "200" must be between 300 and 599`],
  [inServer("error_page 404 600 /e.html;"), `${F}:2: value "600" must be between 300 and 599`],
  [inServer("error_page 404 =2x /e.html;"), `${F}:2: invalid value "=2x"`],
  [
    inServer("error_page 404 e.html;"),
    `${F}:2: invalid URI "e.html" in "error_page" directive, it must start with "/"`,
  ],
  [inServer("index a.html '';"), `${F}:2: index "" in "index" directive is invalid`],
  [inServer("return abc;"), `${F}:2: invalid return code "abc"`],
  [inServer("return 302 https://$hostt/;"), `${F}:2: unknown "hostt" variable`],
  [inLocation('return 200 "${nope}";'), `${F}:3: unknown "nope" variable`],
  [
    inServer("session_store redis://127.0.0.1:6379/db0;"),
    `${F}:2: invalid session store "redis://127.0.0.1:6379/db0": its path must be a database number`,
  ],
  [
    inServer("session_store redis:///0;"),
    `${F}:2: invalid session store "redis:///0": it names no host`,
  ],
  [
    inServer("session_store memcache://cache:11211;"),
    `${F}:2: session store "memcache://cache:11211" is not supported: "memcache" stores do not exist yet`,
  ],
  ["error_log e.log loud;\nserver {}", `${F}:1: invalid log level "loud"`],
  [inLocation("return 1000;"), `${F}:3: invalid return code "1000"`],
  [
    inServer("allow_methods GET FETCH;"),
    `${F}:2: invalid method "FETCH" in "allow_methods" directive`,
  ],
  [inServer("allow_methods GE/T;"), `${F}:2: invalid method "GE/T" in "allow_methods" directive`],
  [
    inServer("cgi py /usr/bin/python3;"),
    `${F}:2: invalid extension "py" in "cgi" directive, it must start with "."`,
  ],
  [
    inServer("cgi . /usr/bin/python3;"),
    `${F}:2: invalid extension "." in "cgi" directive, it must start with "."`,
  ],
  [inServer("cgi .py '';"), `${F}:2: invalid interpreter "" in "cgi" directive`],
  [
    inLocation("cgi .py /a;\ncgi .py /b;"),
    `${F}:4: duplicate extension ".py" in "cgi" directive`,
  ],
  // Locations.
  [inServer("location /a/ {}\nlocation /a/ {}"), `${F}:3: duplicate location "/a/"`],
  [inServer("location = /a {}\nlocation =/a {}"), `${F}:3: duplicate location "/a"`],
  [inServer("location ~~ /x {}"), `${F}:2: invalid location modifier "~~"`],
  [
    inServer("location ~ ([a-z {}"),
    `${F}:2: invalid regular expression "([a-z": Invalid regular expression: /([a-z/: Unterminated character class`,
  ],
  [
    inServer("location = /x {\nlocation /x/y {}\n}"),
    `${F}:3: location "/x/y" cannot be inside the exact location "/x"`,
  ],
  [
    inServer("location /a/ {\nlocation /b/ {}\n}"),
    `${F}:3: location "/b/" is outside location "/a/"`,
  ],
  [
    inServer("location /a/ {\nlocation @n {}\n}"),
    `${F}:3: named location "@n" can be on the server level only`,
  ],
  [
    inServer("location @n {\nlocation /x/ {}\n}"),
    `${F}:3: location "/x/" cannot be inside the named location "@n"`,
  ],
  [inServer("location @n {}\nlocation @n {}"), `${F}:3: duplicate location "@n"`],
  [inServer("location /a/ {}\nlocation ^~ /a/ {}"), `${F}:3: duplicate location "/a/"`],
  [inServer("location a/ {}"), `${F}:2: invalid location "a/", it must start with "/"`],
  [inServer("location ~ {}"), `${F}:2: invalid location, it has no URI`],
  [
    inLocation("root /a;\nalias /b;"),
    `${F}:4: "alias" directive is duplicate, "root" directive was specified earlier`,
  ],
  [
    inLocation("alias /b;\nroot /a;"),
    `${F}:4: "root" directive is duplicate, "alias" directive was specified earlier`,
  ],
  // The file as a whole.
  ["", `${F}:1: no "server" block`],
  ["# nothing\naccess_log off;\n", `${F}:3: no "server" block`],
];

for (const [text, expected] of ERRORS) {
  Deno.test(`parseConfig() fails with '${expected}' for ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseConfig(text, F), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
      assert.equal(err.message, expected);
      assert.equal(err.file, F);
      assert.equal(`${F}:${err.line}: ${err.detail}`, expected);
      return true;
    });
  });
}

Deno.test("parseConfig() reports the first problem of a file in the order of the file", () => {
  const text = inServer("listen 80;\nlisen 81;\nroot;");
  assert.throws(() => parseConfig(text, F), { message: `${F}:3: unknown directive "lisen"` });
});
