/**
 * ECDSA P-256 keys for ACME: the account key that signs requests, and the certificate key, a
 * fresh one per order, that the TLS listener serves with.
 *
 * - `generateKeyPair(extractable = true)`: a new P-256 key pair (sign/verify).
 * - `exportPrivateKeyPem(privateKey)`: the private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), the
 *   form `Deno.listenTls({ cert, key })` loads (rustls reads PKCS#8, and SEC1 "EC PRIVATE KEY"
 *   too; PKCS#8 is what WebCrypto exports, and the public key is included in it) and the form to
 *   store an account key in.
 * - `importKeyPairPem(pem, extractable = true)`: a P-256 key pair back from PKCS#8 PEM, or from
 *   SEC1 "EC PRIVATE KEY" PEM (as `openssl ecparam -genkey` writes); the public key is derived
 *   from the private one. A TypeError for any other key type or curve.
 */
import * as der from "./der.ts";
import { decodePemBlocks, encodePem } from "./pem.ts";

const ALGORITHM: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_P256 = "1.2.840.10045.3.1.7";

/** A new ECDSA P-256 key pair. */
export async function generateKeyPair(extractable = true): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALGORITHM, extractable, ["sign", "verify"]);
}

/** `privateKey` (extractable) as PKCS#8 PEM. */
export async function exportPrivateKeyPem(privateKey: CryptoKey): Promise<string> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  return encodePem("PRIVATE KEY", pkcs8);
}

/** The P-256 key pair of a PKCS#8 or SEC1 PEM private key. */
export async function importKeyPairPem(pem: string, extractable = true): Promise<CryptoKeyPair> {
  const block = decodePemBlocks(pem).find((b) =>
    b.label === "PRIVATE KEY" || b.label === "EC PRIVATE KEY"
  );
  if (block === undefined) {
    throw new TypeError('key PEM: no "PRIVATE KEY" or "EC PRIVATE KEY" block');
  }
  const pkcs8 = block.label === "PRIVATE KEY" ? block.der : sec1ToPkcs8(block.der);
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ALGORITHM, true, ["sign"]);
  } catch (e) {
    throw new TypeError(`key PEM: not an ECDSA P-256 private key (${errorText(e)})`, { cause: e });
  }
  const { crv, kty, x, y } = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey("jwk", { crv, kty, x, y }, ALGORITHM, true, [
    "verify",
  ]);
  if (!extractable) {
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ALGORITHM, false, ["sign"]);
  }
  return { privateKey, publicKey };
}

/** A SEC1 ECPrivateKey (RFC 5915) wrapped as the PKCS#8 PrivateKeyInfo (RFC 5208) of a P-256 key. */
function sec1ToPkcs8(sec1: Uint8Array): Uint8Array<ArrayBuffer> {
  return der.sequence(
    der.integer(0),
    der.sequence(der.objectIdentifier(OID_EC_PUBLIC_KEY), der.objectIdentifier(OID_P256)),
    der.octetString(sec1),
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
