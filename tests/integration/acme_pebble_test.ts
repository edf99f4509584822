/**
 * The ACME client (lib/acme/) against a real CA: Let's Encrypt's test server pebble, with
 * pebble-challtestsrv as its DNS server so that every name resolves to 127.0.0.1, and a small
 * Deno.serve challenge responder that answers what the solver provisioned. Everything listens
 * on 127.0.0.1 only.
 *
 * Set-up, per test (each in its own temporary directory, removed afterwards):
 *
 * - openssl makes a P-256 CA and a leaf for localhost/127.0.0.1 signed by it: the certificate
 *   pebble serves its ACME and management HTTPS with. The client trusts that CA (`caCerts`).
 * - The challenge responder listens on 127.0.0.1:0; its port is pebble's `httpPort` (where
 *   pebble's VA sends http-01 validation requests, for any name).
 * - pebble-challtestsrv: `-dns01 127.0.0.1:0 -management 127.0.0.1:0 -http01 "" -https01 ""
 *   -tlsalpn01 "" -defaultIPv4 127.0.0.1 -defaultIPv6 ""`: a DNS server answering 127.0.0.1
 *   for every A query and nothing for AAAA, its other challenge servers off (their defaults
 *   would bind every interface), no records to add.
 * - pebble: `-config <dir>/pebble.json -dnsserver 127.0.0.1:<challtestsrv's UDP port>` with
 *   `listenAddress` and `managementListenAddress` 127.0.0.1:0, a 90-day
 *   `certificateValidityPeriod` and a `domainBlocklist`; env `PEBBLE_VA_NOSLEEP=1`,
 *   `PEBBLE_WFE_NONCEREJECT` (0, or 75 for the badNonce test), `PEBBLE_AUTHZREUSE=100` (valid
 *   authorizations always reused, so a renewal needs no challenge).
 *
 * Ports: neither program reports the port it got for ":0", and picking a free port then passing
 * it would race; so both bind port 0 and the test reads the ports they listen on from
 * /proc/<pid>/fd (socket inodes) and /proc/<pid>/net/{tcp,udp}. pebble's two TCP ports are told
 * apart by asking each for /roots/0, which only the management interface serves (pebble's root,
 * regenerated at every start, that the issued chains are verified against).
 *
 * Every wait is bounded (DEADLINE_MS for start-up, the client's timeouts and an abort signal
 * for issuance); pebble and challtestsrv get SIGTERM, then SIGKILL, in `finally`. Skipped, with
 * the reason in the test's name, when pebble, pebble-challtestsrv or openssl is missing, or
 * when /proc is not there to read ports from.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
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

const PEBBLE = "/usr/bin/pebble";
const CHALLTESTSRV = "/usr/bin/pebble-challtestsrv";
const DEADLINE_MS = 5000;
const VALIDITY_DAYS = 90;
const DAY = 86_400_000;
const BLOCKED = "blocked.webserv.test";

const isFile = (path: string) => Deno.stat(path).then((i) => i.isFile, () => false);
const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
const HAS_PROC = await Deno.stat(`/proc/${Deno.pid}/fd`).then((i) => i.isDirectory, () => false);
const MISSING = [
  ...(await isFile(PEBBLE) ? [] : [`"${PEBBLE}" is missing`]),
  ...(await isFile(CHALLTESTSRV) ? [] : [`"${CHALLTESTSRV}" is missing`]),
  ...(HAS_OPENSSL ? [] : ["openssl is missing"]),
  ...(HAS_PROC ? [] : ["no /proc to read ports from"]),
];

/** `name`, or `name` with the reason it is skipped. */
function testName(name: string): string {
  return MISSING.length === 0 ? name : `${name} (skipped: ${MISSING.join(", ")})`;
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A child process whose output is collected (for failure messages) and that can be stopped. */
class Child {
  readonly process: Deno.ChildProcess;
  #output = "";
  readonly #drained: Promise<unknown>;
  #exited = false;

  constructor(readonly name: string, args: string[], env: Record<string, string> = {}) {
    this.process = new Deno.Command(name, {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.process.status.then(() => this.#exited = true);
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this.#output += text;
    };
    this.#drained = Promise.all([drain(this.process.stdout), drain(this.process.stderr)]);
  }

  get output(): string {
    return this.#output;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it is still there after a second. */
  async stop(): Promise<void> {
    const signal = (name: Deno.Signal) => {
      try {
        this.process.kill(name);
      } catch {
        // Already gone.
      }
    };
    signal("SIGTERM");
    const stopped = await within(this.process.status, 1000, this.name).then(
      () => true,
      () => false,
    );
    if (!stopped) signal("SIGKILL");
    await within(this.process.status, DEADLINE_MS, this.name);
    await within(this.#drained, DEADLINE_MS, `${this.name}'s output`);
  }
}

/** The ports `pid` listens on (TCP) or is bound to (UDP), from /proc. */
async function boundPorts(pid: number, protocol: "tcp" | "udp"): Promise<number[]> {
  const inodes = new Set<string>();
  for await (const entry of Deno.readDir(`/proc/${pid}/fd`)) {
    const link = await Deno.readLink(`/proc/${pid}/fd/${entry.name}`).catch(() => "");
    const inode = link.match(/^socket:\[(\d+)\]$/)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of [protocol, `${protocol}6`]) {
    const text = await Deno.readTextFile(`/proc/${pid}/net/${table}`).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      const [, local = "", , state] = fields;
      if (fields.length < 10 || !inodes.has(fields[9] ?? "")) continue;
      if (protocol === "tcp" && state !== "0A") continue; // LISTEN
      ports.push(parseInt(local.split(":")[1] ?? "", 16));
    }
  }
  return ports;
}

/** Waits until `child` has `count` ports of `protocol`, and returns them. */
async function waitForPorts(
  child: Child,
  protocol: "tcp" | "udp",
  count: number,
): Promise<number[]> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (child.exited) assert.fail(`${child.name} exited:\n${child.output}`);
    const ports = await boundPorts(child.process.pid, protocol);
    if (ports.length >= count) return ports;
    if (Date.now() > deadline) {
      assert.fail(`${child.name}: ${ports.length} of ${count} ${protocol} ports:\n${child.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs openssl in `dir`, failing with its stderr. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await within(
    new Deno.Command("openssl", { args, cwd: dir, stdout: "piped", stderr: "piped" }).output(),
    DEADLINE_MS,
    "openssl",
  );
  assert.ok(out.success, `openssl ${args.join(" ")}:\n${new TextDecoder().decode(out.stderr)}`);
}

/** The CA and the localhost leaf pebble serves HTTPS with. */
async function makeHttpsCertificate(dir: string): Promise<string> {
  await Deno.writeTextFile(
    join(dir, "openssl.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "[dn]",
      "[ca]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "[leaf]",
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = DNS:localhost, IP:127.0.0.1",
      "",
    ].join("\n"),
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  // deno-fmt-ignore
  await openssl(dir, "req", "-x509", ...ec, "-config", "openssl.cnf", "-extensions", "ca",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=acme test HTTPS CA");
  // deno-fmt-ignore
  await openssl(dir, "req", "-new", ...ec, "-config", "openssl.cnf", "-keyout", "https.key",
    "-out", "https.csr", "-subj", "/CN=localhost");
  // deno-fmt-ignore
  await openssl(dir, "x509", "-req", "-in", "https.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-set_serial", "1", "-days", "2", "-extfile", "openssl.cnf", "-extensions", "leaf",
    "-out", "https.pem");
  return await Deno.readTextFile(join(dir, "ca.pem"));
}

/** What a test gets: the CA, its roots, and a solver backed by the challenge responder. */
interface Pebble {
  directoryUrl: string;
  acmeBase: string;
  managementBase: string;
  /** The root the HTTPS certificates of pebble chain to (made by openssl). */
  httpsCaPem: string;
  /** Pebble's issuing root, from its management interface. */
  rootPem: string;
  /** Options every client of this pebble uses. */
  clientOptions(): Promise<AcmeClientOptions>;
  solver: Http01Solver;
  provisioned: string[];
  cleanedUp: string[];
  /** Validation requests the responder got: Host, then path. */
  validations: string[];
}

async function withPebble(env: Record<string, string>, fn: (pebble: Pebble) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "acme_pebble_" });
  const children: Child[] = [];
  let responder: Deno.HttpServer<Deno.NetAddr> | undefined;
  let http: Deno.HttpClient | undefined;
  try {
    const httpsCaPem = await makeHttpsCertificate(dir);

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
    const httpPort = responder.addr.port;

    // deno-fmt-ignore
    const dns = new Child(CHALLTESTSRV, ["-dns01", "127.0.0.1:0", "-management", "127.0.0.1:0",
      "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1",
      "-defaultIPv6", ""]);
    children.push(dns);
    const [dnsPort] = await waitForPorts(dns, "udp", 1);

    const config = join(dir, "pebble.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify(
        {
          pebble: {
            listenAddress: "127.0.0.1:0",
            managementListenAddress: "127.0.0.1:0",
            certificate: join(dir, "https.pem"),
            privateKey: join(dir, "https.key"),
            httpPort,
            tlsPort: httpPort, // tls-alpn-01 is never used; nothing binds it
            ocspResponderURL: "",
            externalAccountBindingRequired: false,
            certificateValidityPeriod: VALIDITY_DAYS * 86_400,
            domainBlocklist: [BLOCKED],
          },
        },
        null,
        2,
      ),
    );
    const pebble = new Child(PEBBLE, ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], {
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_AUTHZREUSE: "100",
      ...env,
    });
    children.push(pebble);
    const ports = await waitForPorts(pebble, "tcp", 2);

    // Which port is which: only the management interface serves /roots/0.
    http = Deno.createHttpClient({ caCerts: [httpsCaPem] });
    let rootPem = "";
    let managementPort: number | undefined;
    for (const port of ports) {
      const response = await fetch(`https://127.0.0.1:${port}/roots/0`, {
        client: http,
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      const text = await response.text();
      if (response.status === 200 && text.includes("-----BEGIN CERTIFICATE-----")) {
        rootPem = text;
        managementPort = port;
      }
    }
    const acmePort = ports.find((p) => p !== managementPort);
    assert.ok(managementPort !== undefined && acmePort !== undefined, `ports ${ports}`);
    const acmeBase = `https://127.0.0.1:${acmePort}`;

    const provisioned: string[] = [];
    const cleanedUp: string[] = [];
    await fn({
      directoryUrl: `${acmeBase}/dir`,
      acmeBase,
      managementBase: `https://127.0.0.1:${managementPort}`,
      httpsCaPem,
      rootPem,
      clientOptions: async () => ({
        directoryUrl: `${acmeBase}/dir`,
        accountKey: await generateKeyPair(),
        contact: ["mailto:admin@webserv.test"],
        caCerts: [httpsCaPem],
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
    for (const child of children.reverse()) await child.stop();
    http?.close();
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
