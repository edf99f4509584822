/**
 * HTTPS with certificate files, over real TLS clients (node:tls, which sends SNI and verifies the
 * chain against the test CA): requests of every kind, SNI among two names, broken and stalled
 * handshakes, plain HTTP to a TLS port, the configuration's checks, and a reload that changes
 * the certificate while a download is under way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { RawClient } from "./_client.ts";
import {
  serverProblems,
  startTestServer,
  stopAndReadErrorLog,
  type TestServer,
} from "./_server.ts";
import { type TestCa, testCa, tlsExchange } from "./_tls.ts";

const CGI = join(import.meta.dirname!, "..", "testdata", "cgi");

async function withTls(
  fn: (s: TestServer, ca: TestCa) => Promise<void>,
  extra = "",
): Promise<void> {
  const ca = await testCa();
  const a = await ca.issue("a", ["a.test", "www.a.test"]);
  const b = await ca.issue("b", ["b.test"]);
  const s = await startTestServer(
    `
access_log off;
error_log error.log info;
ssl_handshake_timeout 500ms;
server {
  listen 127.0.0.1:0 ssl;
  server_name a.test www.a.test;
  ssl_certificate ${a.cert};
  ssl_certificate_key ${a.key};
  root site;
  location /who { return 200 "a $scheme $https"; }
  location /cgi/ { alias ${CGI}/; cgi .py /usr/bin/python3; }
  location /up/ { upload_store uploads; }
  location /s/ { alias ${CGI}/; cgi .py /usr/bin/python3; session on; }
  ${extra}
}
server {
  listen 127.0.0.1:0 ssl;
  server_name b.test;
  ssl_certificate ${b.cert};
  ssl_certificate_key ${b.key};
  location /who { return 200 "b $scheme"; }
}`,
    { "site/index.html": "hello over TLS\n", "uploads/.keep": "" },
  );
  try {
    await fn(s, ca);
  } finally {
    await s.close();
    await ca.close();
  }
}

const get = (path: string, host: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

Deno.test("HTTPS: files, return, CGI with HTTPS=on, uploads, the session cookie Secure", async () => {
  await withTls(async ({ port, dir }, ca) => {
    const page = await tlsExchange(port, "a.test", ca.caPem, get("/", "a.test"));
    assert.equal(page.subject, "a.test");
    assert.equal(page.alpn, "http/1.1");
    assert.match(page.text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello over TLS\n$/);
    assert.match(
      (await tlsExchange(port, "a.test", ca.caPem, get("/who", "a.test"))).text,
      /a https on$/,
    );
    const env = (await tlsExchange(port, "a.test", ca.caPem, get("/cgi/env.py", "a.test"))).text;
    assert.match(env, /^HTTPS=on$/m);
    assert.match(env, /^REQUEST_SCHEME=https$/m);
    const body = "x".repeat(100_000);
    const upload = await tlsExchange(
      port,
      "a.test",
      ca.caPem,
      `PUT /up/big.txt HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.match(upload.text, /^HTTP\/1\.1 201 /);
    assert.equal(await Deno.readTextFile(join(dir, "uploads", "big.txt")), body);
    const session = (await tlsExchange(port, "a.test", ca.caPem, get("/s/env.py", "a.test"))).text;
    assert.match(session, /^Set-Cookie: [^\r]*; Secure/m);
  });
});

Deno.test("SNI: each name gets its own certificate; an unknown name gets the default server's", async () => {
  await withTls(async ({ port }, ca) => {
    const a = await tlsExchange(port, "www.a.test", ca.caPem, get("/who", "www.a.test"));
    assert.deepEqual([a.subject, a.text.endsWith("a https on")], ["a.test", true]);
    const b = await tlsExchange(port, "b.test", ca.caPem, get("/who", "b.test"));
    assert.deepEqual([b.subject, b.text.endsWith("b https")], ["b.test", true]);
    // No certificate names c.test: the client refuses the default server's.
    await assert.rejects(
      tlsExchange(port, "c.test", ca.caPem, get("/who", "c.test")),
      /altnames|hostname|certificate/i,
    );
  });
});

Deno.test("a broken, a stalled and a plain-HTTP handshake end quietly; the server goes on", async () => {
  await withTls(async (s, ca) => {
    const { port } = s;
    const garbage = await RawClient.connect(port);
    await garbage.send(new Uint8Array(64).fill(0x16));
    assert.ok(await garbage.closedByServer(5000));
    garbage.close();
    const plain = await RawClient.connect(port);
    await plain.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    assert.ok(await plain.closedByServer(5000));
    plain.close();
    // Connected, but never a ClientHello: closed after ssl_handshake_timeout (500ms).
    const started = Date.now();
    const stalled = await RawClient.connect(port);
    assert.ok(await stalled.closedByServer(5000));
    assert.ok(Date.now() - started >= 400, "closed before the timeout");
    stalled.close();
    const after = await tlsExchange(port, "a.test", ca.caPem, get("/who", "a.test"));
    assert.match(after.text, /a https on$/);
    const lines = await stopAndReadErrorLog(s);
    // Each failure is an `info` line, never an error; the stalled one too.
    assert.deepEqual(serverProblems(lines), []);
    assert.ok(
      lines.filter((l) => /\[info\] .*TLS handshake failed/.test(l)).length >= 2,
      lines.join("\n"),
    );
  });
});

Deno.test("a reload serves a new certificate to new connections; a download under way finishes", async () => {
  const ca = await testCa();
  const first = await ca.issue("first", ["a.test"]);
  const second = await ca.issue("second", ["a.test"]);
  // Larger than what loopback's socket buffers hold, so the server is still sending at the reload.
  const big = new Uint8Array(48 << 20).fill(97);
  const config = (pair: { cert: string; key: string }) => `
access_log off;
server {
  listen 127.0.0.1:0 ssl;
  server_name a.test;
  ssl_certificate ${pair.cert};
  ssl_certificate_key ${pair.key};
  root site;
}`;
  const s = await startTestServer(config(first), { "site/big.bin": big, "site/a.txt": "a" });
  let download: Deno.TlsConn | null = null;
  try {
    const before = await tlsExchange(s.port, "a.test", ca.caPem, get("/a.txt", "a.test"));
    // A download begun before the reload, read only after it: the server waits on a full socket.
    download = await Deno.startTls(await Deno.connect({ hostname: "127.0.0.1", port: s.port }), {
      hostname: "a.test",
      caCerts: [ca.caPem],
    });
    await download.write(new TextEncoder().encode(get("/big.bin", "a.test")));
    const buf = new Uint8Array(64 * 1024);
    let received = 0;
    const first = await download.read(buf);
    assert.ok(first !== null && first > 0);
    received += first;
    const next = (await loadConfig(await write(s.dir, config(second)))).config;
    const port = s.port;
    const reloaded = s.server.reload({
      ...next,
      servers: next.servers.map((srv) => ({ ...srv, listen: [{ ...srv.listen[0]!, port }] })),
    });
    // New connections get the new certificate once the reload has swapped the configuration
    // (nothing announces that moment: ask until it shows, a bounded number of times), while the
    // old connection is still sending.
    let after = before;
    for (let i = 0; i < 200 && after.serial === before.serial; i++) {
      after = await tlsExchange(port, "a.test", ca.caPem, get("/a.txt", "a.test"));
    }
    assert.notEqual(after.serial, before.serial);
    const deadline = setTimeout(() => download?.close(), 30_000);
    try {
      for (let n; (n = await download.read(buf)) !== null;) received += n;
    } finally {
      clearTimeout(deadline);
    }
    const head = get("/big.bin", "a.test").length; // only a lower bound for the response head
    assert.ok(received > big.length + head / 4, `the download under way was cut at ${received}`);
    await reloaded;
  } finally {
    try {
      download?.close();
    } catch {
      // Closed by the deadline already.
    }
    await s.close();
    await ca.close();
  }
});

async function write(dir: string, text: string): Promise<string> {
  const path = join(dir, "next.conf");
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("-t: listen ssl needs a certificate and its key, and the pair must load", async () => {
  const ca = await testCa();
  const a = await ca.issue("a", ["a.test"]);
  const b = await ca.issue("b", ["b.test"]);
  const dir = ca.dir;
  const check = async (text: string) => {
    const path = join(dir, "t.conf");
    await Deno.writeTextFile(path, text);
    try {
      const { config } = await loadConfig(path);
      const { verifyConfig } = await import("../../lib/config/checks.ts");
      await verifyConfig(config);
      return "ok";
    } catch (e) {
      return (e as Error).message;
    }
  };
  try {
    assert.equal(
      await check("server {\nlisten 443 ssl;\n}\n"),
      `${
        join(dir, "t.conf")
      }:1: no "ssl_certificate" is defined for the "listen ... ssl" directive`,
    );
    assert.match(
      await check(
        `server {\nlisten 443 ssl;\nssl_certificate ${a.cert};\nssl_certificate_key missing.key;\n}\n`,
      ),
      /t\.conf:3: cannot load certificate key ".*missing\.key"/,
    );
    assert.match(
      await check(
        `server {\nlisten 443 ssl;\nssl_certificate ${a.cert};\nssl_certificate_key ${b.key};\n}\n`,
      ),
      /t\.conf:3: cannot use certificate ".*a\.crt" with key ".*b\.key"/,
    );
    assert.equal(
      await check(
        `server {\nlisten 443 ssl;\nssl_certificate ${a.cert};\nssl_certificate_key ${a.key};\n}\n`,
      ),
      "ok",
    );
  } finally {
    await ca.close();
  }
});
