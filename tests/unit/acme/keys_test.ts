/**
 * Keys: PKCS#8 PEM round trips, SEC1 and PKCS#8 keys made by openssl (fixtures), refusals of
 * other kinds of keys, and — when openssl is installed to issue certificates — which key PEM
 * forms `Deno.listenTls` (rustls) loads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createCsr, csrToPem } from "../../../lib/acme/csr.ts";
import { exportPrivateKeyPem, generateKeyPair, importKeyPairPem } from "../../../lib/acme/keys.ts";
import { decodePem, decodePemBlocks, encodePem } from "../../../lib/acme/pem.ts";

const DATA = join(import.meta.dirname ?? ".", "..", "..", "testdata", "acme");
const fixture = (name: string) => Deno.readTextFile(join(DATA, name));
const ES256 = { name: "ECDSA", hash: "SHA-256" };
const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

async function signsFor(pair: CryptoKeyPair, publicKey: CryptoKey): Promise<boolean> {
  const data = new TextEncoder().encode("signed");
  const signature = await crypto.subtle.sign(ES256, pair.privateKey, data);
  return await crypto.subtle.verify(ES256, publicKey, signature, data);
}

Deno.test("keys: a generated P-256 key exports as PKCS#8 PEM and imports back as the same pair", async () => {
  const pair = await generateKeyPair();
  assert.deepEqual(pair.privateKey.algorithm, { name: "ECDSA", namedCurve: "P-256" });
  const pem = await exportPrivateKeyPem(pair.privateKey);
  assert.match(
    pem,
    /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PRIVATE KEY-----\n$/,
  );
  const back = await importKeyPairPem(pem);
  assert.ok(await signsFor(back, pair.publicKey));
  assert.ok(await signsFor(pair, back.publicKey));
  const jwk = (k: CryptoKey) => crypto.subtle.exportKey("jwk", k);
  const [a, b] = [await jwk(pair.publicKey), await jwk(back.publicKey)];
  assert.deepEqual([a.x, a.y], [b.x, b.y]);
  assert.equal(await exportPrivateKeyPem(back.privateKey), pem);
});

Deno.test("keys: a non-extractable import signs but cannot be exported", async () => {
  const pem = await exportPrivateKeyPem((await generateKeyPair()).privateKey);
  const pair = await importKeyPairPem(pem, false);
  assert.equal(pair.privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("pkcs8", pair.privateKey));
  assert.ok(await signsFor(pair, pair.publicKey));
});

Deno.test("keys: openssl's SEC1 (EC PRIVATE KEY) and PKCS#8 forms of one key import alike", async () => {
  const sec1 = await importKeyPairPem(await fixture("p256_sec1.pem"));
  const pkcs8 = await importKeyPairPem(await fixture("p256_pkcs8.pem"));
  const spki = decodePem(await fixture("p256_public.pem"), "PUBLIC KEY");
  for (const pair of [sec1, pkcs8]) {
    assert.deepEqual(new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)), spki);
  }
  assert.ok(await signsFor(sec1, pkcs8.publicKey));
});

Deno.test("keys: RSA, P-384, a public key or no key at all is a TypeError", async () => {
  for (const name of ["rsa_pkcs8.pem", "p384_pkcs8.pem", "p256_public.pem"]) {
    await assert.rejects(importKeyPairPem(await fixture(name)), TypeError, name);
  }
  await assert.rejects(importKeyPairPem("not a key"), TypeError);
});

Deno.test("PEM: blocks in order, text around them ignored, broken armour refused", () => {
  const a = encodePem("CERTIFICATE", Uint8Array.of(1, 2, 3));
  const b = encodePem("PRIVATE KEY", new Uint8Array(100));
  assert.equal(a, "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n");
  assert.equal(b.split("\n")[1]?.length, 64);
  const blocks = decodePemBlocks(`Bag Attributes: x\n${a}between\r\n${b}`);
  assert.deepEqual(blocks.map((x) => [x.label, x.der.length]), [["CERTIFICATE", 3], [
    "PRIVATE KEY",
    100,
  ]]);
  assert.deepEqual([...decodePem(a.replaceAll("\n", "\r\n"), "CERTIFICATE")], [1, 2, 3]);
  assert.throws(() => decodePem(a, "PRIVATE KEY"), SyntaxError);
  assert.throws(() => decodePemBlocks(a.replace("END CERTIFICATE", "END X")), SyntaxError);
  assert.throws(() => decodePemBlocks(a.replace("AQID", "AQ!D")), SyntaxError);
  assert.throws(() => decodePemBlocks(a.slice(0, 40)), SyntaxError);
  assert.throws(() => decodePemBlocks(a.slice(0, 40) + a), SyntaxError);
});

/** Issues a certificate for `names` from a CSR, with a throwaway openssl CA; returns both PEMs. */
async function issue(dir: string, csrPem: string): Promise<{ cert: string; ca: string }> {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  await Deno.writeTextFile(join(dir, "leaf.csr"), csrPem);
  await Deno.writeTextFile(
    join(dir, "ext.cnf"),
    "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,DNS:a.webserv.test\n",
  );
  // deno-fmt-ignore
  await run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=keys test CA");
  // deno-fmt-ignore
  await run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-set_serial", "7", "-days", "1", "-extfile", "ext.cnf", "-out", "leaf.pem");
  return {
    cert: await Deno.readTextFile(join(dir, "leaf.pem")),
    ca: await Deno.readTextFile(join(dir, "ca.pem")),
  };
}

/** A TLS handshake with a listener serving `cert` and `key`, verified against `ca`. */
async function handshake(cert: string, key: string, ca: string): Promise<void> {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  try {
    const accepted = listener.accept().then(async (conn) => {
      try {
        await conn.handshake();
      } finally {
        conn.close();
      }
    });
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: listener.addr.port,
      caCerts: [ca],
    });
    try {
      await conn.handshake();
    } finally {
      conn.close();
    }
    await accepted.catch(() => {});
  } finally {
    listener.close();
  }
}

Deno.test({
  name: HAS_OPENSSL
    ? "keys: Deno.listenTls (rustls) serves with the PKCS#8 PEM export, and with SEC1 PEM"
    : "keys: Deno.listenTls serves with the PKCS#8 export (skipped: openssl is missing)",
  ignore: !HAS_OPENSSL,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "acme_keys_" });
    try {
      const pair = await generateKeyPair();
      const { cert, ca } = await issue(dir, csrToPem(await createCsr(["localhost"], pair)));
      await handshake(cert, await exportPrivateKeyPem(pair.privateKey), ca);

      // The same certificate with a SEC1 key: the fixture's key, through its own CSR.
      const sec1Pem = await fixture("p256_sec1.pem");
      const sec1 = await importKeyPairPem(sec1Pem);
      const other = await issue(dir, csrToPem(await createCsr(["localhost"], sec1)));
      await handshake(other.cert, sec1Pem, other.ca);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
