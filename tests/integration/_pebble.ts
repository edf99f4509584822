/**
 * Let's Encrypt's test CA for the ACME tests: pebble, with pebble-challtestsrv as its DNS server
 * so that every name resolves to 127.0.0.1. Everything listens on 127.0.0.1 only.
 *
 * - openssl makes a P-256 CA and a leaf for localhost/127.0.0.1 signed by it: the certificate
 *   pebble serves its ACME and management HTTPS with (`httpsCaPem`/`httpsCaFile` to trust it).
 * - pebble-challtestsrv: `-dns01 127.0.0.1:0 -management 127.0.0.1:0 -http01 "" -https01 ""
 *   -tlsalpn01 "" -defaultIPv4 127.0.0.1 -defaultIPv6 ""`: a DNS server answering 127.0.0.1
 *   for every A query and nothing for AAAA, its other challenge servers off (their defaults
 *   would bind every interface).
 * - pebble: `-config <dir>/pebble.json -dnsserver 127.0.0.1:<challtestsrv's UDP port>` with
 *   `listenAddress` and `managementListenAddress` 127.0.0.1:0, `httpPort` the port http-01
 *   validations are sent to (for any name), a 90-day `certificateValidityPeriod` and a
 *   `domainBlocklist`; env `PEBBLE_VA_NOSLEEP=1`, `PEBBLE_AUTHZREUSE=100` (valid authorizations
 *   reused, so a renewal needs no challenge) and what the test adds.
 *
 * Ports: neither program reports the port it got for ":0", and picking a free port then passing
 * it would race; so both bind port 0 and the ports they listen on are read from /proc/<pid>/fd
 * (socket inodes) and /proc/<pid>/net/{tcp,udp}. pebble's two TCP ports are told apart by asking
 * each for /roots/0, which only the management interface serves (pebble's root, regenerated at
 * every start, that issued chains verify against).
 *
 * Every wait is bounded by DEADLINE_MS; `stop()` sends SIGTERM, then SIGKILL. Tests are skipped,
 * with the reason in their name, when pebble, pebble-challtestsrv or openssl is missing, or when
 * /proc is not there to read ports from.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

export const PEBBLE = "/usr/bin/pebble";
const CHALLTESTSRV = "/usr/bin/pebble-challtestsrv";
export const DEADLINE_MS = 5000;
export const VALIDITY_DAYS = 90;
export const DAY = 86_400_000;
export const BLOCKED = "blocked.webserv.test";

const isFile = (path: string) => Deno.stat(path).then((i) => i.isFile, () => false);
const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
const HAS_PROC = await Deno.stat(`/proc/${Deno.pid}/fd`).then((i) => i.isDirectory, () => false);
export const MISSING = [
  ...(await isFile(PEBBLE) ? [] : [`"${PEBBLE}" is missing`]),
  ...(await isFile(CHALLTESTSRV) ? [] : [`"${CHALLTESTSRV}" is missing`]),
  ...(HAS_OPENSSL ? [] : ["openssl is missing"]),
  ...(HAS_PROC ? [] : ["no /proc to read ports from"]),
];

/** `name`, or `name` with the reason it is skipped. */
export function testName(name: string): string {
  return MISSING.length === 0 ? name : `${name} (skipped: ${MISSING.join(", ")})`;
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

/** A running pebble. */
export interface Pebble {
  directoryUrl: string;
  acmeBase: string;
  managementBase: string;
  /** The root pebble's HTTPS certificate chains to (made by openssl), and its file. */
  httpsCaPem: string;
  httpsCaFile: string;
  /** Pebble's issuing root, from its management interface. */
  rootPem: string;
  /** What pebble and challtestsrv printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts challtestsrv and pebble in `dir`, sending http-01 validations to `httpPort`. */
export async function startPebble(
  dir: string,
  httpPort: number,
  env: Record<string, string> = {},
): Promise<Pebble> {
  const children: Child[] = [];
  let http: Deno.HttpClient | undefined;
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
    http?.close();
  };
  try {
    const httpsCaPem = await makeHttpsCertificate(dir);
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
    return {
      directoryUrl: `${acmeBase}/dir`,
      acmeBase,
      managementBase: `https://127.0.0.1:${managementPort}`,
      httpsCaPem,
      httpsCaFile: join(dir, "ca.pem"),
      rootPem,
      output: () => children.map((c) => `${c.name}:\n${c.output}`).join("\n"),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
