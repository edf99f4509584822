/**
 * certificate_info: a fixture chain with known contents (tests/testdata/acme/README.md), a
 * certificate openssl makes at run time compared with what openssl itself reads from it, and
 * the renewal arithmetic.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  coversNames,
  parseCertificate,
  renewalTime,
  splitCertificateChain,
} from "../../../lib/acme/certificate_info.ts";
import { decodePem } from "../../../lib/acme/pem.ts";

const DATA = join(import.meta.dirname ?? ".", "..", "..", "testdata", "acme");
const CHAIN = await Deno.readTextFile(join(DATA, "chain_2025_2050.pem"));
const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
const DAY = 86_400_000;

Deno.test("certificate_info: the fixture leaf's validity (UTCTime, GeneralizedTime), names, serial", () => {
  const info = parseCertificate(CHAIN);
  assert.equal(info.notBefore.toISOString(), "2025-01-01T00:00:00.000Z");
  assert.equal(info.notAfter.toISOString(), "2050-01-01T00:00:00.000Z");
  assert.deepEqual(info.dnsNames, ["a.example.com", "*.b.example.com"]);
  assert.deepEqual(info.ipAddresses, ["192.0.2.1", "2001:db8:0:0:0:0:0:1"]);
  assert.equal(info.serialNumber, "c0ffee0123456789");
  assert.equal(info.subjectCommonName, "a.example.com");
  assert.equal(info.issuerCommonName, "Fixture Root CA");
  assert.equal(info.subjectPublicKeyInfo[0], 0x30);
});

Deno.test("certificate_info: a chain splits into its certificates; DER is read too", () => {
  const [leaf, root, ...rest] = splitCertificateChain(CHAIN);
  assert.equal(rest.length, 0);
  assert.equal(parseCertificate(leaf!).subjectCommonName, "a.example.com");
  const rootInfo = parseCertificate(decodePem(root!, "CERTIFICATE"));
  assert.equal(rootInfo.subjectCommonName, "Fixture Root CA");
  assert.equal(rootInfo.issuerCommonName, "Fixture Root CA");
  assert.deepEqual(rootInfo.dnsNames, []);
});

Deno.test("certificate_info: what is not a certificate is a SyntaxError", () => {
  assert.throws(() => parseCertificate("no PEM here"), SyntaxError);
  assert.throws(() => parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)), SyntaxError);
  assert.throws(() => parseCertificate(Uint8Array.of(0x30, 0x05, 0x02)), SyntaxError);
  const key = "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n";
  assert.throws(() => parseCertificate(key), SyntaxError);
});

Deno.test("renewal: due once a third of the lifetime remains (day 60 of a 90-day certificate)", () => {
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const info = { notBefore, notAfter: new Date(notBefore.getTime() + 90 * DAY) };
  assert.equal(renewalTime(info).toISOString(), "2026-03-02T00:00:00.000Z");
  // Six-day certificates: renewed with two days left.
  const short = { notBefore, notAfter: new Date(notBefore.getTime() + 6 * DAY) };
  assert.equal(renewalTime(short).getTime() - notBefore.getTime(), 4 * DAY);
  // A certificate that ends before it begins is due at its end.
  const odd = { notBefore: info.notAfter, notAfter: notBefore };
  assert.equal(renewalTime(odd).getTime(), notBefore.getTime());
});

Deno.test("coversNames: exact names case-insensitively, one label under a wildcard, IPs", () => {
  const info = parseCertificate(CHAIN);
  assert.ok(coversNames(info, ["a.example.com", "A.Example.COM"]));
  assert.ok(coversNames(info, ["x.b.example.com", "192.0.2.1", "2001:db8:0:0:0:0:0:1"]));
  assert.ok(coversNames(info, ["*.b.example.com"]));
  assert.ok(!coversNames(info, ["b.example.com"]));
  assert.ok(!coversNames(info, ["y.x.b.example.com"]));
  assert.ok(!coversNames(info, ["a.example.com", "c.example.com"]));
  assert.ok(coversNames(info, []));
});

Deno.test({
  name: HAS_OPENSSL
    ? "certificate_info: reads of a certificate openssl makes now agree with openssl's"
    : "certificate_info: agrees with openssl (skipped: openssl is missing)",
  ignore: !HAS_OPENSSL,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "acme_cert_info_" });
    try {
      const run = async (...args: string[]) => {
        const out = await new Deno.Command("openssl", {
          args,
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        })
          .output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
        return new TextDecoder().decode(out.stdout);
      };
      // deno-fmt-ignore
      await run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "key.pem", "-out", "cert.pem", "-days", "90", "-subj", "/CN=one.webserv.test",
        "-set_serial", "0x1fedcba987654321", "-addext",
        "subjectAltName=DNS:one.webserv.test,DNS:Two.Webserv.Test,IP:127.0.0.1");
      const said = await run("x509", "-in", "cert.pem", "-noout", "-dates", "-serial");
      const field = (name: string) => said.match(new RegExp(`^${name}=(.*)$`, "m"))?.[1] ?? "";
      const info = parseCertificate(await Deno.readTextFile(join(dir, "cert.pem")));
      assert.equal(info.notBefore.getTime(), Date.parse(field("notBefore")));
      assert.equal(info.notAfter.getTime(), Date.parse(field("notAfter")));
      assert.equal(info.serialNumber, field("serial").toLowerCase());
      assert.deepEqual(info.dnsNames, ["one.webserv.test", "two.webserv.test"]);
      assert.deepEqual(info.ipAddresses, ["127.0.0.1"]);
      assert.equal(info.subjectCommonName, "one.webserv.test");
      assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 90 * DAY);
      assert.ok(Math.abs(info.notBefore.getTime() - Date.now()) < 60_000);
      assert.equal(renewalTime(info).getTime(), info.notBefore.getTime() + 60 * DAY);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
