/**
 * PKCS#10 certificate requests (RFC 2986) for ACME finalization (RFC 8555 §7.4): every DNS name in
 * a subjectAltName extension (requested through the extensionRequest attribute, RFC 2985
 * §5.4.2), the first also as the subject's commonName when it fits (64 characters at most), the
 * key's SubjectPublicKeyInfo, signed ecdsa-with-SHA256 by an ECDSA P-256 WebCrypto key.
 *
 * - `createCsr(names, keyPair)`: the DER of the request (what ACME's `csr` field carries, in
 *   base64url).
 * - `csrToPem(der)`: the same as "CERTIFICATE REQUEST" PEM (for openssl and logs).
 * - `ecdsaSignatureToDer(raw)`: WebCrypto's r||s signature as the DER Ecdsa-Sig-Value of
 *   RFC 3279 §2.2.3, the form X.509 signatures take (JWS keeps r||s).
 *
 * Names must be ASCII (A-labels for IDNs) and not empty; a RangeError otherwise.
 */
import * as der from "./der.ts";
import { encodePem } from "./pem.ts";

const OID_COMMON_NAME = "2.5.4.3";
const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const MAX_COMMON_NAME = 64; // ub-common-name, RFC 5280 Appendix A.1

/** The DER of a CSR for `names`, for the public key of `keyPair`, signed by its private key. */
export async function createCsr(
  names: readonly string[],
  keyPair: CryptoKeyPair,
): Promise<Uint8Array<ArrayBuffer>> {
  if (names.length === 0) throw new RangeError("CSR: no names");
  for (const name of names) {
    if (name === "" || !/^[\x21-\x7e]+$/.test(name)) {
      throw new RangeError(`CSR: "${name}" is not an ASCII DNS name`);
    }
  }
  const first = names[0] ?? "";
  const subject = first.length <= MAX_COMMON_NAME
    ? der.sequence(
      der.set(der.sequence(der.objectIdentifier(OID_COMMON_NAME), der.utf8String(first))),
    )
    : der.sequence();
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
  const generalNames = der.sequence(
    ...names.map((n) => der.implicit(2, new TextEncoder().encode(n))),
  );
  const extensions = der.sequence(
    der.sequence(der.objectIdentifier(OID_SUBJECT_ALT_NAME), der.octetString(generalNames)),
  );
  const attributes = der.explicit(
    0,
    der.sequence(der.objectIdentifier(OID_EXTENSION_REQUEST), der.set(extensions)),
  );
  const info = der.sequence(der.integer(0), subject, spki, attributes);
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keyPair.privateKey, info),
  );
  return der.sequence(
    info,
    der.sequence(der.objectIdentifier(OID_ECDSA_WITH_SHA256)),
    der.bitString(ecdsaSignatureToDer(raw)),
  );
}

/** A CSR's DER as PEM. */
export function csrToPem(csr: Uint8Array): string {
  return encodePem("CERTIFICATE REQUEST", csr);
}

/** A raw r||s ECDSA signature (WebCrypto's, IEEE P1363) as DER SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`ECDSA: a ${raw.length}-byte signature`);
  }
  const half = raw.length / 2;
  return der.sequence(der.integer(raw.subarray(0, half)), der.integer(raw.subarray(half)));
}
