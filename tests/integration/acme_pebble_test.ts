/**
 * The ACME client (lib/acme/) against a real CA: pebble and its DNS server as _pebble.ts starts
 * them, and a small Deno.serve challenge responder (pebble's `httpPort`) that answers what the
 * solver provisioned. Each test has its own temporary directory, removed afterwards; every wait
 * is bounded (the client's timeouts and an abort signal for issuance).
 */
import assert from "node:assert/strict";
import {
  coversNames,
  parseCertificate,
  renewalTime,
  splitCertificateChain,
} from "../../lib/acme/certificate_info.ts";
import {
  AcmeClient,
  type AcmeClientOptions,
  AcmeError,
  type AcmeEvent,
  type Http01Solver,
} from "../../lib/acme/client.ts";
import { generateKeyPair } from "../../lib/acme/keys.ts";
import {
  BLOCKED,
  DAY,
  DEADLINE_MS,
  MISSING,
  type Pebble,
  startPebble,
  testName,
  VALIDITY_DAYS,
  within,
} from "./_pebble.ts";

/** What a test gets: the CA, its roots, and a solver backed by the challenge responder. */
interface TestPebble extends Pebble {
  /** Options every client of this pebble uses. */
  clientOptions(): Promise<AcmeClientOptions>;
  solver: Http01Solver;
  provisioned: string[];
  cleanedUp: string[];
  /** Validation requests the responder got: Host, then path. */
  validations: string[];
}

async function withPebble(env: Record<string, string>, fn: (pebble: TestPebble) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "acme_pebble_" });
  let responder: Deno.HttpServer<Deno.NetAddr> | undefined;
  let pebble: Pebble | undefined;
  try {
    const answers = new Map<string, string>();
    const validations: string[] = [];
    responder = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const path = new URL(request.url).pathname;
      validations.push(`${request.headers.get("host")} ${path}`);
      const token = path.match(/^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/)?.[1];
      const answer = token === undefined ? undefined : answers.get(token);
      return answer === undefined
        ? new Response("no such token\n", { status: 404 })
        : new Response(answer, { headers: { "content-type": "application/octet-stream" } });
    });
    const started = await startPebble(dir, responder.addr.port, env);
    pebble = started;
    const provisioned: string[] = [];
    const cleanedUp: string[] = [];
    await fn({
      ...started,
      clientOptions: async () => ({
        directoryUrl: started.directoryUrl,
        accountKey: await generateKeyPair(),
        contact: ["mailto:admin@webserv.test"],
        caCerts: [started.httpsCaPem],
        timeoutMs: DEADLINE_MS,
        pollTimeoutMs: 10_000,
        pollIntervalMs: 50,
        maxPollIntervalMs: 500,
      }),
      solver: {
        provision(token, keyAuthorization, identifier) {
          provisioned.push(identifier);
          answers.set(token, keyAuthorization);
        },
        cleanup(token, identifier) {
          cleanedUp.push(identifier);
          answers.delete(token);
        },
      },
      provisioned,
      cleanedUp,
      validations,
    });
  } finally {
    await pebble?.stop();
    await responder?.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A TLS handshake with a listener serving `certificatePem` and `privateKeyPem`, the client asking
 * for `serverName` and trusting `rootPem` only. Rejects as the client's handshake does.
 */
async function handshake(
  certificatePem: string,
  privateKeyPem: string,
  serverName: string,
  rootPem: string,
): Promise<void> {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificatePem,
    key: privateKeyPem,
  });
  try {
    const served = listener.accept().then(async (conn) => {
      try {
        await conn.handshake();
      } catch {
        // The client's verdict is what the test reads.
      } finally {
        conn.close();
      }
    });
    // startTls: connect to 127.0.0.1 but verify (and send SNI for) the certificate's name.
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const tls = await Deno.startTls(tcp, { hostname: serverName, caCerts: [rootPem] });
    try {
      await within(tls.handshake(), DEADLINE_MS, `TLS handshake for ${serverName}`);
    } finally {
      tls.close();
      await within(served, DEADLINE_MS, "server side of the handshake");
    }
  } finally {
    listener.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(() => assert.fail("resolved"), (e) => e);
}

Deno.test({
  name: testName("pebble: a certificate for two names, its chain, renewal and the errors"),
  ignore: MISSING.length > 0,
  async fn(t) {
    await withPebble({ PEBBLE_WFE_NONCEREJECT: "0" }, async (pebble) => {
      const options = await pebble.clientOptions();
      using client = await AcmeClient.open(options);
      const names = ["a.webserv.test", "b.webserv.test"];
      let first: Awaited<ReturnType<AcmeClient["obtain"]>> | undefined;

      await t.step("ensureAccount creates the account, with its contact", async () => {
        const account = await client.ensureAccount();
        assert.equal(account.status, "valid");
        assert.equal(account.created, true);
        assert.deepEqual(account.contact, ["mailto:admin@webserv.test"]);
        assert.ok(account.url.startsWith(pebble.acmeBase), account.url);
        assert.equal(client.accountUrl, account.url);
      });

      await t.step("obtain: one certificate for both names, valid 90 days", async () => {
        const before = Date.now();
        first = await client.obtain(names, pebble.solver, { signal: AbortSignal.timeout(15_000) });
        assert.deepEqual(first.names, names);
        assert.deepEqual([...pebble.provisioned].sort(), names);
        assert.deepEqual([...pebble.cleanedUp].sort(), names);
        const port = new URL(`http://${pebble.validations[0]?.split(" ")[0]}`).port;
        for (const name of names) {
          assert.ok(
            pebble.validations.some((v) =>
              v.startsWith(`${name}:${port} /.well-known/acme-challenge/`)
            ),
            pebble.validations.join("\n"),
          );
        }
        assert.match(first.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
        const chain = splitCertificateChain(first.certificatePem);
        assert.ok(chain.length >= 2, "leaf and intermediate");
        const leaf = parseCertificate(first.certificatePem);
        assert.deepEqual([...leaf.dnsNames].sort(), names);
        assert.ok(coversNames(leaf, names));
        assert.match(leaf.issuerCommonName ?? "", /^Pebble Intermediate CA/);
        assert.deepEqual([first.notBefore, first.notAfter], [leaf.notBefore, leaf.notAfter]);
        // Pebble's validity period is notAfter − notBefore + 1 s (notAfter is inclusive).
        const lifetime = first.notAfter.getTime() - first.notBefore.getTime();
        assert.ok(Math.abs(lifetime - VALIDITY_DAYS * DAY) <= 1000, `${lifetime} ms`);
        assert.ok(Math.abs(first.notBefore.getTime() - before) < 5 * 60_000, "issued now");
        const renew = renewalTime(first).getTime();
        assert.ok(Math.abs(renew - (first.notAfter.getTime() - 30 * DAY)) <= 1000);
      });

      await t.step(
        "the chain verifies against pebble's root, for each name, in a TLS handshake",
        async () => {
          assert.ok(first !== undefined);
          for (const name of names) {
            await handshake(first.certificatePem, first.privateKeyPem, name, pebble.rootPem);
          }
          const wrongName = await rejection(
            handshake(first.certificatePem, first.privateKeyPem, "c.webserv.test", pebble.rootPem),
          );
          assert.match(String(wrongName), /NotValidForName|not valid for/i);
          const wrongRoot = await rejection(
            handshake(first.certificatePem, first.privateKeyPem, names[0]!, pebble.httpsCaPem),
          );
          assert.match(String(wrongRoot), /UnknownIssuer|unknown issuer/i);
        },
      );

      await t.step(
        "a renewal reuses the valid authorizations: no challenge, a new key",
        async () => {
          assert.ok(first !== undefined);
          const provisioned = pebble.provisioned.length;
          const renewed = await client.obtain(
            ["B.webserv.test", "a.webserv.test."],
            pebble.solver,
            {
              signal: AbortSignal.timeout(15_000),
            },
          );
          assert.equal(pebble.provisioned.length, provisioned, "no challenge provisioned");
          assert.deepEqual(renewed.names, ["b.webserv.test", "a.webserv.test"]);
          assert.notEqual(
            parseCertificate(renewed.certificatePem).serialNumber,
            parseCertificate(first.certificatePem).serialNumber,
          );
          assert.notEqual(renewed.privateKeyPem, first.privateKeyPem);
          await handshake(
            renewed.certificatePem,
            renewed.privateKeyPem,
            "b.webserv.test",
            pebble.rootPem,
          );
        },
      );

      await t.step(
        "a second client with the same key finds the account; contacts are updated",
        async () => {
          using again = await AcmeClient.open({
            ...options,
            contact: ["mailto:other@webserv.test"],
          });
          const account = await again.ensureAccount();
          assert.equal(account.created, false);
          assert.equal(account.url, client.accountUrl);
          assert.deepEqual(account.contact, ["mailto:other@webserv.test"]);
        },
      );

      await t.step("a bad directory URL is an AcmeError naming it", async () => {
        const cases: [string, Partial<AcmeClientOptions>, RegExp, number | undefined][] = [
          [`${pebble.acmeBase}/no-such-directory`, {}, /404/, 404],
          [`${pebble.managementBase}/roots/0`, {}, /not a JSON object/, 200],
          // pebble's HTTPS certificate is not trusted without caCerts.
          [pebble.directoryUrl, { caCerts: undefined }, /certificate|UnknownIssuer/i, undefined],
        ];
        for (const [directoryUrl, extra, message, status] of cases) {
          const error = await rejection(AcmeClient.open({ ...options, ...extra, directoryUrl }));
          assert.ok(error instanceof AcmeError, String(error));
          assert.equal(error.url, directoryUrl);
          assert.ok(error.message.includes(directoryUrl), error.message);
          assert.match(error.message, message);
          assert.equal(error.status, status);
        }
      });

      await t.step("orders pebble refuses are AcmeErrors with pebble's problem", async () => {
        const newOrder = client.directory.newOrder;
        const malformed = await rejection(
          client.obtain(["ok.webserv.test", "bad_name.webserv.test"], pebble.solver),
        );
        assert.ok(malformed instanceof AcmeError, String(malformed));
        assert.equal(malformed.acmeType, "malformed");
        assert.equal(malformed.status, 400);
        assert.equal(malformed.url, newOrder);
        assert.match(malformed.detail ?? "", /illegal character/);
        assert.ok(malformed.message.includes(malformed.detail ?? "?"), malformed.message);

        const blocked = await rejection(client.obtain([BLOCKED], pebble.solver));
        assert.ok(blocked instanceof AcmeError, String(blocked));
        assert.equal(blocked.type, "urn:ietf:params:acme:error:rejectedIdentifier");
        assert.match(blocked.detail ?? "", new RegExp(BLOCKED.replaceAll(".", "\\.")));
      });

      await t.step(
        "a challenge pebble cannot validate is an AcmeError with its detail",
        async () => {
          const cleaned: string[] = [];
          const failed = await rejection(client.obtain(["unserved.webserv.test"], {
            provision() {
              // Nothing is served: the responder answers 404.
            },
            cleanup(_token, identifier) {
              cleaned.push(identifier);
            },
          }, { signal: AbortSignal.timeout(15_000) }));
          assert.ok(failed instanceof AcmeError, String(failed));
          assert.equal(failed.acmeType, "unauthorized");
          assert.match(failed.detail ?? "", /404/);
          assert.match(failed.message, /authorization of unserved\.webserv\.test is invalid/);
          assert.ok(failed.url.startsWith(pebble.acmeBase), failed.url);
          assert.deepEqual(cleaned, ["unserved.webserv.test"]);
        },
      );
    });
  },
});

Deno.test({
  name: testName("pebble rejecting 75% of good nonces: badNonce retries still get a certificate"),
  ignore: MISSING.length > 0,
  async fn() {
    await withPebble({ PEBBLE_WFE_NONCEREJECT: "75" }, async (pebble) => {
      const events: AcmeEvent[] = [];
      using client = await AcmeClient.open({
        ...await pebble.clientOptions(),
        badNonceRetries: 40,
        onEvent: (e) => events.push(e),
      });
      const obtained = await client.obtain(["c.webserv.test"], pebble.solver, {
        signal: AbortSignal.timeout(15_000),
      });
      assert.deepEqual(parseCertificate(obtained.certificatePem).dnsNames, ["c.webserv.test"]);
      await handshake(
        obtained.certificatePem,
        obtained.privateKeyPem,
        "c.webserv.test",
        pebble.rootPem,
      );
      const retries = events.filter((e) => e.type === "badNonce").length;
      const posts = events.filter((e) => e.type === "request" && e.method === "POST").length;
      // An issuance takes about 8 POSTs: at 75%, none rejected would be a 1-in-65 000 event;
      // 40 retries all rejected, a 1-in-100 000 one for each request.
      assert.ok(retries > 0, `${retries} badNonce retries in ${posts} POSTs`);
    });
  },
});
