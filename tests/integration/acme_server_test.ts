/**
 * Automatic certificates end to end: the server, configured with nginx's ACME directives,
 * obtains one certificate for two names from a real pebble (its HTTP-01 challenges answered by
 * the server's own plain listener, ahead of a `return 404`), serves it by SNI without a restart,
 * keeps it in state_path (0700/0600), renews it while the old one serves, reuses it after a
 * restart without a new order, and, against a CA that refuses, logs the failure and keeps
 * serving HTTP while handshakes for the name fail cleanly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AcmeEvent } from "../../lib/acme/manager.ts";
import { loadConfig } from "../../lib/config/load.ts";
import { type RunningServer, type StartOptions, startServer } from "../../lib/server/listener.ts";
import { rawRequest } from "./_client.ts";
import { MISSING, type Pebble, startPebble, testName, within } from "./_pebble.ts";
import { tlsExchange } from "./_tls.ts";

const NAMES = ["a.webserv.test", "b.webserv.test"];
const WAIT_MS = 20_000;

/** Events of a server's ACME manager, and a way to wait for one. */
class Events {
  readonly seen: AcmeEvent[] = [];
  #waiters: [(e: AcmeEvent) => boolean, () => void][] = [];

  readonly onEvent = (event: AcmeEvent) => {
    this.seen.push(event);
    for (const waiter of [...this.#waiters]) {
      if (waiter[0](event)) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter[1]();
      }
    }
  };

  /** Resolves at the first event of `type` (already seen or to come), bounded by WAIT_MS. */
  next(type: AcmeEvent["type"], after = 0): Promise<void> {
    if (this.seen.slice(after).some((e) => e.type === type)) return Promise.resolve();
    return within(
      new Promise<void>((resolve) => this.#waiters.push([(e) => e.type === type, resolve])),
      WAIT_MS,
      `acme event "${type}" (seen: ${JSON.stringify(this.seen)})`,
    );
  }
}

/** The configuration: a plain server on `httpPort`, an HTTPS one for NAMES on a new port. */
function config(dir: string, pebble: Pebble, httpPort: number, uri = pebble.directoryUrl) {
  return `
error_log error.log info;
access_log off;
acme_issuer pebble {
  uri ${uri};
  contact admin@webserv.test;
  state_path state;
  accept_terms_of_service;
  ssl_trusted_certificate ${pebble.httpsCaFile};
}
server {
  listen 127.0.0.1:${httpPort};
  location / { return 404; }
  location = /up { return 200 "up"; }
}
server {
  listen 127.0.0.1:0 ssl;
  server_name ${NAMES.join(" ")};
  acme_certificate pebble;
  ssl_certificate $acme_certificate;
  ssl_certificate_key $acme_certificate_key;
  location / { return 200 "hello $host"; }
}
# ${dir}
`;
}

async function start(dir: string, text: string, options: StartOptions): Promise<RunningServer> {
  const file = join(dir, "webserv.conf");
  await Deno.writeTextFile(file, text);
  return await startServer((await loadConfig(file)).config, options);
}

function tlsPort(server: RunningServer): number {
  const url = server.urls.find((u) => u.startsWith("https:"));
  assert.ok(url !== undefined, server.urls.join(" "));
  return Number(new URL(url).port);
}

const get = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

Deno.test({
  name: testName("ACME: obtained from pebble, served by SNI, stored, renewed, reused"),
  ignore: MISSING.length > 0,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "webserv-acme-" });
    let pebble: Pebble | undefined;
    let server: RunningServer | undefined;
    try {
      // The plain port must be pebble's httpPort before pebble starts: bind it first, with a
      // configuration that has no ACME yet, then reload with the issuer.
      server = await start(dir, "server { listen 127.0.0.1:0; }", {});
      const httpPort = server.addrs[0]!.port;
      pebble = await startPebble(dir, httpPort);
      const first = new Events();
      await server.shutdown();
      server = await start(dir, config(dir, pebble, httpPort), {
        acme: { onEvent: first.onEvent },
      });
      const serials: string[] = [];

      await t.step("the certificate is obtained and served for both names", async () => {
        await first.next("obtained");
        for (const name of NAMES) {
          const got = await tlsExchange(tlsPort(server!), name, pebble!.rootPem, get(name));
          assert.match(got.text, new RegExp(`^HTTP/1\\.1 200 [^]*hello ${name}$`));
          serials.push(got.serial);
        }
        assert.equal(serials[0], serials[1], "one certificate for both names");
        // The challenge was answered by the plain server, whose locations all answer 404.
        const plain = await rawRequest(
          httpPort,
          "GET /.well-known/acme-challenge/x HTTP/1.1\r\n" +
            "Host: a.webserv.test\r\nConnection: close\r\n\r\n",
        );
        assert.equal(plain.status, 404);
      });

      await t.step("state_path holds the account key, certificate and key, private", async () => {
        const state = join(dir, "state");
        assert.equal((await Deno.stat(state)).mode! & 0o777, 0o700);
        for (const file of ["account.key", `${NAMES[0]}.crt`, `${NAMES[0]}.key`]) {
          assert.equal((await Deno.stat(join(state, file))).mode! & 0o777, 0o600, file);
        }
        assert.match(await Deno.readTextFile(join(state, `${NAMES[0]}.crt`)), /BEGIN CERTIFICATE/);
      });

      await t.step("a due certificate is renewed; the stored one serves until then", async () => {
        await server!.shutdown();
        const renewing = new Events();
        // Every certificate is due at once: the stored one is served, and a new one ordered.
        server = await start(dir, config(dir, pebble!, httpPort), {
          acme: { onEvent: renewing.onEvent, renewAt: (v) => v.notBefore },
        });
        assert.deepEqual(renewing.seen.map((e) => e.type).slice(0, 2), ["stored", "ordering"]);
        await renewing.next("obtained");
        const got = await tlsExchange(tlsPort(server), NAMES[1]!, pebble!.rootPem, get(NAMES[1]!));
        assert.notEqual(got.serial, serials[0], "a new certificate");
        serials.push(got.serial);
      });

      await t.step("a restart serves the stored certificate without a new order", async () => {
        await server!.shutdown();
        const again = new Events();
        server = await start(dir, config(dir, pebble!, httpPort), {
          acme: { onEvent: again.onEvent },
        });
        assert.deepEqual(again.seen.map((e) => e.type), ["stored", "scheduled"]);
        const got = await tlsExchange(tlsPort(server), NAMES[0]!, pebble!.rootPem, get(NAMES[0]!));
        assert.equal(got.serial, serials[2]);
      });
    } finally {
      await server?.shutdown();
      await pebble?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: testName("ACME: a CA that refuses is logged and retried; HTTP goes on serving"),
  ignore: MISSING.length > 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "webserv-acme-" });
    let pebble: Pebble | undefined;
    let server: RunningServer | undefined;
    try {
      server = await start(dir, "server { listen 127.0.0.1:0; }", {});
      const httpPort = server.addrs[0]!.port;
      await server.shutdown();
      pebble = await startPebble(dir, httpPort);
      const events = new Events();
      const bad = `${pebble.acmeBase}/no-such-directory`;
      server = await start(dir, config(dir, pebble, httpPort, bad), {
        acme: { onEvent: events.onEvent, retryMs: 60_000 },
      });
      await events.next("failed");
      const failed = events.seen.find((e) => e.type === "failed")!;
      assert.match(failed.detail ?? "", /404/);
      assert.ok(failed.detail?.includes(bad), failed.detail);
      // The retry is scheduled, a minute on.
      assert.equal(events.seen.at(-1)?.type, "scheduled");
      const up = "GET /up HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      assert.equal((await rawRequest(httpPort, up)).text, "up");
      // No certificate for the name: the handshake fails, the server stays up.
      await assert.rejects(tlsExchange(tlsPort(server), NAMES[0]!, pebble.rootPem, get(NAMES[0]!)));
      assert.equal((await rawRequest(httpPort, up)).text, "up");
      await server.shutdown();
      const log = await Deno.readTextFile(join(dir, "error.log"));
      assert.match(
        log,
        /\[error\] \d+#\d+: acme: "a\.webserv\.test b\.webserv\.test" from issuer "pebble": failed: .*404.*; no certificate yet; next attempt in 60s/,
      );
    } finally {
      await server?.shutdown();
      await pebble?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
