/**
 * The DER encoder against fixed vectors (X.690's own examples where it has them) and against
 * `openssl asn1parse` when openssl is installed; the reader against the encoder and against
 * malformed input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as der from "../../../lib/acme/der.ts";
import {
  children,
  readDer,
  readInteger,
  readOid,
  readString,
  readTime,
} from "../../../lib/acme/der_reader.ts";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

function fromHex(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(text.split(" ").filter((h) => h !== "").map((h) => parseInt(h, 16)));
}

const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test("DER INTEGER: minimal two's complement for numbers, unsigned magnitude for bytes", () => {
  const cases: [bigint | number | Uint8Array, string][] = [
    [0, "02 01 00"],
    [127, "02 01 7f"],
    [128, "02 02 00 80"],
    [256, "02 02 01 00"],
    [-1, "02 01 ff"],
    [-128, "02 01 80"],
    [-129, "02 02 ff 7f"],
    [2n ** 64n, "02 09 01 00 00 00 00 00 00 00 00"],
    [Uint8Array.of(0x00, 0x00, 0x80), "02 02 00 80"],
    [Uint8Array.of(0x00, 0x7f), "02 01 7f"],
    [Uint8Array.of(0xff), "02 02 00 ff"],
    [new Uint8Array(0), "02 01 00"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(hex(der.integer(value)), expected, String(value));
  }
  assert.throws(() => der.integer(2 ** 60), RangeError);
});

Deno.test("DER lengths: short form below 128, minimal long form above", () => {
  assert.equal(hex(der.encodeLength(0)), "00");
  assert.equal(hex(der.encodeLength(127)), "7f");
  assert.equal(hex(der.encodeLength(128)), "81 80");
  assert.equal(hex(der.encodeLength(255)), "81 ff");
  assert.equal(hex(der.encodeLength(256)), "82 01 00");
  assert.equal(hex(der.encodeLength(70000)), "83 01 11 70");
  assert.equal(hex(der.octetString(new Uint8Array(200)).subarray(0, 3)), "04 81 c8");
});

Deno.test("DER OBJECT IDENTIFIER: base-128 arcs, the first two combined (X.690 §8.19.5)", () => {
  assert.equal(hex(der.objectIdentifier("1.2.840.113549")), "06 06 2a 86 48 86 f7 0d");
  assert.equal(hex(der.objectIdentifier("2.5.29.17")), "06 03 55 1d 11");
  assert.equal(hex(der.objectIdentifier("2.999.3")), "06 03 88 37 03");
  assert.equal(
    hex(der.objectIdentifier("1.2.840.10045.4.3.2")),
    "06 08 2a 86 48 ce 3d 04 03 02",
  );
  for (const bad of ["1", "3.1", "1.40", "1.2.", "1.02", "a.b"]) {
    assert.throws(() => der.objectIdentifier(bad), RangeError, bad);
  }
});

Deno.test("DER strings, BIT STRING, OCTET STRING, NULL, BOOLEAN", () => {
  assert.equal(hex(der.utf8String("é")), "0c 02 c3 a9");
  assert.equal(hex(der.printableString("A b")), "13 03 41 20 62");
  assert.throws(() => der.printableString("a_b"), RangeError);
  assert.throws(() => der.printableString("a@b"), RangeError);
  assert.equal(hex(der.ia5String("a.b")), "16 03 61 2e 62");
  assert.throws(() => der.ia5String("é"), RangeError);
  assert.equal(hex(der.bitString(Uint8Array.of(0xff))), "03 02 00 ff");
  assert.equal(hex(der.bitString(Uint8Array.of(0xa0), 5)), "03 02 05 a0");
  assert.throws(() => der.bitString(Uint8Array.of(0), 8), RangeError);
  assert.equal(hex(der.octetString(Uint8Array.of(1, 2))), "04 02 01 02");
  assert.equal(hex(der.nullValue()), "05 00");
  assert.equal(hex(der.boolean(true)), "01 01 ff");
  assert.equal(hex(der.boolean(false)), "01 01 00");
});

Deno.test("DER SEQUENCE keeps its order, SET OF sorts by encoding, context tags", () => {
  const a = der.integer(2);
  const b = der.integer(1);
  assert.equal(hex(der.sequence(a, b)), "30 06 02 01 02 02 01 01");
  assert.equal(hex(der.set(a, b)), "31 06 02 01 01 02 01 02");
  assert.equal(hex(der.sequence()), "30 00");
  assert.equal(hex(der.explicit(0, a)), "a0 03 02 01 02");
  assert.equal(hex(der.explicit(3, a, b)), "a3 06 02 01 02 02 01 01");
  assert.equal(hex(der.implicit(2, new TextEncoder().encode("x"))), "82 01 78");
  assert.equal(hex(der.implicit(1, a, true)), "a1 03 02 01 02");
  assert.throws(() => der.explicit(31, a), RangeError);
  assert.throws(() => der.tlv(0x1f, a), RangeError);
});

Deno.test({
  name: HAS_OPENSSL
    ? "DER: openssl asn1parse reads a nested structure as encoded"
    : "DER: openssl asn1parse reads a nested structure as encoded (skipped: openssl is missing)",
  ignore: !HAS_OPENSSL,
  async fn() {
    const encoded = der.sequence(
      der.integer(-129),
      der.integer(2n ** 70n),
      der.objectIdentifier("2.5.29.17"),
      der.set(der.utf8String("zz"), der.printableString("Aa")),
      der.explicit(
        0,
        der.bitString(Uint8Array.of(0xde, 0xad)),
        der.octetString(new Uint8Array(300)),
      ),
      der.nullValue(),
      der.boolean(true),
      der.ia5String("a.example"),
    );
    const dir = await Deno.makeTempDir({ prefix: "acme_der_" });
    try {
      const file = join(dir, "value.der");
      await Deno.writeFile(file, encoded);
      const out = await new Deno.Command("openssl", {
        args: ["asn1parse", "-inform", "DER", "-in", file, "-i"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const lines = text.trim().split("\n").map((l) =>
        l.replace(/^\s*\d+:d=/, "d=").replace(/\s+/g, " ").trimEnd()
      );
      assert.deepEqual(lines, [
        `d=0 hl=4 l= ${encoded.length - 4} cons: SEQUENCE`,
        "d=1 hl=2 l= 2 prim: INTEGER :-81",
        "d=1 hl=2 l= 9 prim: INTEGER :400000000000000000",
        "d=1 hl=2 l= 3 prim: OBJECT :X509v3 Subject Alternative Name",
        "d=1 hl=2 l= 8 cons: SET",
        "d=2 hl=2 l= 2 prim: UTF8STRING :zz",
        "d=2 hl=2 l= 2 prim: PRINTABLESTRING :Aa",
        "d=1 hl=4 l= 309 cons: cont [ 0 ]",
        "d=2 hl=2 l= 3 prim: BIT STRING",
        "d=2 hl=4 l= 300 prim: OCTET STRING [HEX DUMP]:" + "00".repeat(300),
        "d=1 hl=2 l= 0 prim: NULL",
        "d=1 hl=2 l= 1 prim: BOOLEAN :255",
        "d=1 hl=2 l= 9 prim: IA5STRING :a.example",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("DER reader: reads back what the encoder wrote", () => {
  const value = readDer(der.sequence(
    der.integer(-129),
    der.integer(Uint8Array.of(0xff, 0x01)),
    der.objectIdentifier("1.2.840.10045.3.1.7"),
    der.objectIdentifier("2.999.3"),
    der.utf8String("é"),
    der.printableString("Ab"),
    der.ia5String("x.y"),
    der.octetString(new Uint8Array(1000)),
    der.tlv(0x17, new TextEncoder().encode("491231235959Z")),
    der.tlv(0x18, new TextEncoder().encode("20500101000000Z")),
    der.tlv(0x17, new TextEncoder().encode("500101000000Z")),
  ));
  const [a, b, c, d, e, f, g, h, t1, t2, t3] = children(value);
  assert.equal(readInteger(a!), -129n);
  assert.equal(readInteger(b!), 0xff01n);
  assert.equal(readOid(c!), "1.2.840.10045.3.1.7");
  assert.equal(readOid(d!), "2.999.3");
  assert.equal(readString(e!), "é");
  assert.equal(readString(f!), "Ab");
  assert.equal(readString(g!), "x.y");
  assert.equal(h!.content.length, 1000);
  assert.equal(readTime(t1!).toISOString(), "2049-12-31T23:59:59.000Z");
  assert.equal(readTime(t2!).toISOString(), "2050-01-01T00:00:00.000Z");
  assert.equal(readTime(t3!).toISOString(), "1950-01-01T00:00:00.000Z");
});

Deno.test("DER reader: refuses what DER does not allow", () => {
  const bad: [string, string][] = [
    ["30 80 00 00", "indefinite length"],
    ["04 81 05 00 00 00 00 00", "non-minimal length"],
    ["04 82 00 80" + " 00".repeat(128), "non-minimal length"],
    ["04 03 00 00", "past the end"],
    ["04 01 00 00", "trailing bytes"],
    ["1f 01 00", "multi-byte tag"],
    ["", "truncated"],
  ];
  for (const [bytes, message] of bad) {
    assert.throws(() => readDer(fromHex(bytes)), new RegExp(message), bytes);
  }
  assert.throws(() => children(readDer(fromHex("04 00"))), /not constructed/);
  assert.throws(() => readInteger(readDer(fromHex("02 00"))), /empty INTEGER/);
  assert.throws(() => readOid(readDer(fromHex("06 02 2a 86"))), /truncated OID/);
  assert.throws(() => readTime(readDer(fromHex("17 02 30 30"))), /UTCTime/);
});
