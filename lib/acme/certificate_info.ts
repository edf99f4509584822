/**
 * What a renewal decision needs from an X.509 certificate (RFC 5280 §4.1), read with the minimal
 * DER reader: validity, serial number, subject and issuer common names, the public key, and the
 * DNS names and IP addresses of its subjectAltName extension.
 *
 * - `parseCertificate(pemOrDer)`: the facts of the first certificate of a PEM text (a chain's
 *   leaf) or of DER bytes. A SyntaxError if it is not a certificate.
 * - `splitCertificateChain(pem)`: the "CERTIFICATE" blocks of a chain, each as its own PEM text.
 * - `renewalTime(info)`: when a third of the lifetime remains (notAfter − (notAfter − notBefore)/3):
 *   for a 90-day certificate, 30 days before it expires.
 * - `coversNames(info, names)`: whether every name is in the certificate's subjectAltName (DNS
 *   names compared case-insensitively, `*.example.com` covering one label).
 */
import {
  children,
  type DerValue,
  expectTag,
  readDer,
  readInteger,
  readOid,
  readString,
  readTime,
} from "./der_reader.ts";
import { decodePemBlocks, encodePem } from "./pem.ts";

/** The facts of one certificate. */
export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  /** dNSName entries of subjectAltName, as written (lower-cased). */
  dnsNames: string[];
  /** iPAddress entries of subjectAltName, dotted IPv4 or uncompressed lower-case IPv6. */
  ipAddresses: string[];
  /** The serial number, lower-case hex without leading zeros (as `openssl x509 -serial`). */
  serialNumber: string;
  /** The subject's first commonName, if it has one. */
  subjectCommonName: string | undefined;
  /** The issuer's first commonName, if it has one. */
  issuerCommonName: string | undefined;
  /** The DER of the SubjectPublicKeyInfo (compare with WebCrypto's `exportKey("spki")`). */
  subjectPublicKeyInfo: Uint8Array<ArrayBuffer>;
}

const OID_COMMON_NAME = "2.5.4.3";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";

/** The facts of the first certificate of `input` (PEM text or DER). */
export function parseCertificate(input: string | Uint8Array<ArrayBuffer>): CertificateInfo {
  const bytes = typeof input === "string" ? firstCertificate(input) : input;
  const [tbs] = children(expectSequence(readDer(bytes)));
  if (tbs === undefined) throw new SyntaxError("certificate: empty");
  const fields = children(expectSequence(tbs));
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
  const serial = fields[i++];
  i++; // signature AlgorithmIdentifier
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  const spki = fields[i++];
  if (
    spki === undefined ||
    serial === undefined || issuer === undefined || validity === undefined || subject === undefined
  ) {
    throw new SyntaxError("certificate: truncated TBSCertificate");
  }
  const [notBefore, notAfter] = children(expectSequence(validity)).map(readTime);
  if (notBefore === undefined || notAfter === undefined) {
    throw new SyntaxError("certificate: validity without two times");
  }
  const info: CertificateInfo = {
    notBefore,
    notAfter,
    dnsNames: [],
    ipAddresses: [],
    serialNumber: readInteger(serial).toString(16),
    subjectCommonName: commonName(subject),
    issuerCommonName: commonName(issuer),
    subjectPublicKeyInfo: spki.encoded,
  };
  const extensions = fields.slice(i).find((f) => f.tag === 0xa3);
  if (extensions !== undefined) {
    const [list] = children(extensions);
    for (const extension of list === undefined ? [] : children(expectSequence(list))) {
      const parts = children(expectSequence(extension));
      const [id] = parts;
      const value = parts[parts.length - 1];
      if (id === undefined || value === undefined || readOid(id) !== OID_SUBJECT_ALT_NAME) continue;
      expectTag(value, 0x04);
      readGeneralNames(readDer(value.content), info);
    }
  }
  return info;
}

/** Each certificate of a PEM chain, leaf first, as its own PEM text. */
export function splitCertificateChain(pem: string): string[] {
  return decodePemBlocks(pem)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => encodePem("CERTIFICATE", b.der));
}

/** The moment a third of the certificate's lifetime remains. */
export function renewalTime(info: Pick<CertificateInfo, "notBefore" | "notAfter">): Date {
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  return new Date(info.notAfter.getTime() - Math.max(0, lifetime) / 3);
}

/** Whether every one of `names` is covered by the certificate's subjectAltName. */
export function coversNames(
  info: Pick<CertificateInfo, "dnsNames" | "ipAddresses">,
  names: readonly string[],
): boolean {
  const dns = info.dnsNames.map((n) => n.toLowerCase());
  return names.every((raw) => {
    const name = raw.toLowerCase();
    if (info.ipAddresses.includes(name) || dns.includes(name)) return true;
    const dot = name.indexOf(".");
    return dot > 0 && !name.startsWith("*.") && dns.includes(`*${name.slice(dot)}`);
  });
}

function firstCertificate(pem: string): Uint8Array<ArrayBuffer> {
  const block = decodePemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  if (block === undefined) throw new SyntaxError('certificate: no "CERTIFICATE" PEM block');
  return block.der;
}

function expectSequence(value: DerValue): DerValue {
  expectTag(value, 0x30);
  return value;
}

/** The first commonName of a Name (a SEQUENCE of SETs of type-and-value SEQUENCEs). */
function commonName(name: DerValue): string | undefined {
  for (const rdn of children(expectSequence(name))) {
    for (const attribute of children(rdn)) {
      const [type, value] = children(expectSequence(attribute));
      if (type !== undefined && value !== undefined && readOid(type) === OID_COMMON_NAME) {
        return readString(value);
      }
    }
  }
  return undefined;
}

/** dNSName [2] and iPAddress [7] entries of a GeneralNames SEQUENCE, into `info`. */
function readGeneralNames(names: DerValue, info: CertificateInfo): void {
  for (const name of children(expectSequence(names))) {
    if (name.tag === 0x82) {
      info.dnsNames.push(String.fromCharCode(...name.content).toLowerCase());
    } else if (name.tag === 0x87) {
      const b = [...name.content];
      if (b.length === 4) info.ipAddresses.push(b.join("."));
      else if (b.length === 16) {
        const groups: string[] = [];
        for (let j = 0; j < 16; j += 2) {
          groups.push((((b[j] ?? 0) << 8) | (b[j + 1] ?? 0)).toString(16));
        }
        info.ipAddresses.push(groups.join(":"));
      }
    }
  }
}
