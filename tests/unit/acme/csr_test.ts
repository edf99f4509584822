/**
 * The CSR: openssl (when installed) verifies its self-signature and reads the subject, the key
 * and every SAN; independently of openssl, its structure is read back with the DER reader and
 * its signature verified with WebCrypto.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createCsr, csrToPem, ecdsaSignatureToDer } from "../../../lib/acme/csr.ts";
import * as der from "../../../lib/acme/der.ts";
import {
  children,
  readDer,
  readInteger,
  readOid,
  readString,
} from "../../../lib/acme/der_reader.ts";
import { generateKeyPair } from "../../../lib/acme/keys.ts";

const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

/** `openssl req -in <csr> -noout -text -verify`: its exit status and everything it printed. */
async function opensslReq(csrPem: string): Promise<{ success: boolean; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "acme_csr_" });
  try {
    const file = join(dir, "csr.pem");
    await Deno.writeTextFile(file, csrPem);
    const out = await new Deno.Command("openssl", {
      args: ["req", "-in", file, "-noout", "-text", "-verify"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { success: out.success, output: decode(out.stdout) + decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The DER Ecdsa-Sig-Value back as r||s, 32 bytes each. */
function derSignatureToRaw(signature: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(64);
  children(readDer(signature)).forEach((part, i) => {
    const hex = readInteger(part).toString(16).padStart(64, "0");
    raw.set(Uint8Array.fromHex(hex), i * 32);
  });
  return raw;
}

interface ReadCsr {
  info: Uint8Array<ArrayBuffer>;
  commonName: string | undefined;
  spki: Uint8Array<ArrayBuffer>;
  sans: string[];
  algorithm: string;
  signature: Uint8Array<ArrayBuffer>;
}

/** A CSR taken apart with the DER reader. */
function readCsr(csr: Uint8Array<ArrayBuffer>): ReadCsr {
  const [info, algorithm, signature] = children(readDer(csr));
  const [version, subject, spki, attributes] = children(info!);
  assert.equal(readInteger(version!), 0n);
  const rdn = children(subject!)[0];
  const commonName = rdn === undefined ? undefined : readString(children(children(rdn)[0]!)[1]!);
  assert.equal(attributes!.tag, 0xa0);
  const [attribute] = children(attributes!);
  const [attributeType, values] = children(attribute!);
  assert.equal(readOid(attributeType!), "1.2.840.113549.1.9.14");
  const [extension] = children(children(values!)[0]!);
  const [extensionId, extensionValue] = children(extension!);
  assert.equal(readOid(extensionId!), "2.5.29.17");
  const sans = children(readDer(extensionValue!.content)).map((name) => {
    assert.equal(name.tag, 0x82);
    return new TextDecoder().decode(name.content);
  });
  assert.equal(signature!.content[0], 0, "no unused bits");
  return {
    info: info!.encoded,
    commonName,
    spki: spki!.encoded,
    sans,
    algorithm: readOid(children(algorithm!)[0]!),
    signature: signature!.content.subarray(1),
  };
}

Deno.test("CSR: read back, it names every SAN, the key, and its ES256 signature verifies", async () => {
  const keyPair = await generateKeyPair();
  const names = ["a.example.com", "b.example.com", "xn--bcher-kva.example"];
  const csr = readCsr(await createCsr(names, keyPair));
  assert.equal(csr.commonName, "a.example.com");
  assert.deepEqual(csr.sans, names);
  assert.equal(csr.algorithm, "1.2.840.10045.4.3.2");
  assert.deepEqual(
    csr.spki,
    new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey)),
  );
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const raw = derSignatureToRaw(csr.signature);
  assert.ok(await crypto.subtle.verify(algorithm, keyPair.publicKey, raw, csr.info));
  const other = await generateKeyPair();
  assert.ok(!await crypto.subtle.verify(algorithm, other.publicKey, raw, csr.info));
});

Deno.test("CSR: a first name over 64 characters leaves the subject empty, the SAN still has it", async () => {
  const long = `${"a".repeat(60)}.example.com`;
  const csr = readCsr(await createCsr([long, "b.example.com"], await generateKeyPair()));
  assert.equal(csr.commonName, undefined);
  assert.deepEqual(csr.sans, [long, "b.example.com"]);
});

Deno.test("CSR: no names, an empty name or a non-ASCII one is a RangeError", async () => {
  const keyPair = await generateKeyPair();
  await assert.rejects(createCsr([], keyPair), RangeError);
  await assert.rejects(createCsr([""], keyPair), RangeError);
  await assert.rejects(createCsr(["bücher.example"], keyPair), RangeError);
  await assert.rejects(createCsr(["a b.example"], keyPair), RangeError);
});

Deno.test("CSR: r||s to DER pads a high bit and drops leading zeros", () => {
  const r = new Uint8Array(32).fill(0x80);
  const s = new Uint8Array(32);
  s[31] = 1;
  const encoded = ecdsaSignatureToDer(new Uint8Array([...r, ...s]));
  assert.deepEqual(encoded, der.sequence(der.integer(Uint8Array.of(0, ...r)), der.integer(1)));
  assert.equal(encoded[3], 33); // 0x00 then 32 bytes
  assert.throws(() => ecdsaSignatureToDer(new Uint8Array(63)), RangeError);
});

Deno.test({
  name: HAS_OPENSSL
    ? "CSR: openssl req -verify accepts the signature and reads the subject, key and both SANs"
    : "CSR: openssl req -verify accepts it (skipped: openssl is missing)",
  ignore: !HAS_OPENSSL,
  async fn() {
    const keyPair = await generateKeyPair();
    const pem = csrToPem(await createCsr(["a.webserv.test", "b.webserv.test"], keyPair));
    assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const { success, output } = await opensslReq(pem);
    assert.ok(success, output);
    assert.match(output, /verify OK/);
    assert.match(output, /Subject: CN ?= ?a\.webserv\.test/);
    assert.match(output, /DNS:a\.webserv\.test, DNS:b\.webserv\.test/);
    assert.match(output, /NIST CURVE: P-256/);
    assert.match(output, /Signature Algorithm: ecdsa-with-SHA256/);
  },
});

Deno.test({
  name: HAS_OPENSSL
    ? "CSR: openssl req -verify refuses a CSR whose signed part was altered"
    : "CSR: openssl refuses an altered CSR (skipped: openssl is missing)",
  ignore: !HAS_OPENSSL,
  async fn() {
    const csr = await createCsr(["a.webserv.test", "b.webserv.test"], await generateKeyPair());
    const altered = csr.slice();
    const at = new TextDecoder("latin1").decode(altered).indexOf("b.webserv.test");
    altered[at] = "c".charCodeAt(0);
    const { success, output } = await opensslReq(csrToPem(altered));
    assert.ok(!success || !/verify OK/.test(output), output);
    assert.match(output, /DNS:a\.webserv\.test, DNS:c\.webserv\.test/);
  },
});
