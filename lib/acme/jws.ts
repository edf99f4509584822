/**
 * JSON Web Signatures as ACME sends them (RFC 8555 §6.2): flattened JSON serialization
 * (RFC 7515 §7.2.2), ES256 with raw r||s signatures (RFC 7518 §3.4), the account's public key in
 * `jwk` (newAccount) or its URL in `kid` (everything else), and `nonce` and `url` protected.
 *
 * - `publicJwk(publicKey)`: the public JWK of a P-256 key, required members only.
 * - `jwkThumbprint(jwk)`: the RFC 7638 thumbprint (SHA-256, base64url) of an EC, RSA, OKP or oct
 *   JWK: its required members, sorted, no white space.
 * - `signJws(privateKey, header, payload)`: a flattened JWS; `payload` undefined gives the empty
 *   payload of a POST-as-GET (RFC 8555 §6.3).
 * - `signExternalAccountBinding(accountJwk, url, eab)`: the HS256 JWS binding an account key to an
 *   external account (RFC 8555 §7.3.4).
 * - `keyAuthorization(token, thumbprint)`: `token + "." + thumbprint` (RFC 8555 §8.1).
 */
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

/** The public JWK of an ECDSA P-256 key. */
export interface EcPublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}

/** A flattened JWS: what ACME POSTs as `application/jose+json`. */
export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

/** The protected header fields the caller chooses: exactly one of `jwk` and `kid`. */
export type JwsHeader =
  & { url: string; nonce: string }
  & ({ jwk: EcPublicJwk; kid?: never } | { kid: string; jwk?: never });

/** An external account binding's key identifier and MAC key (base64url, as CAs hand them out). */
export interface ExternalAccountBinding {
  kid: string;
  hmacKey: string;
}

/** The members RFC 7638 §3.2 hashes, per key type. */
const REQUIRED: Record<string, readonly string[]> = {
  EC: ["crv", "kty", "x", "y"],
  RSA: ["e", "kty", "n"],
  OKP: ["crv", "kty", "x"],
  oct: ["k", "kty"],
};

/** The public JWK of P-256 `publicKey`. */
export async function publicJwk(publicKey: CryptoKey): Promise<EcPublicJwk> {
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", publicKey);
  if (kty !== "EC" || crv !== "P-256" || x === undefined || y === undefined) {
    throw new TypeError(`JWS: the account key must be ECDSA P-256 (got ${kty} ${crv ?? ""})`);
  }
  return { kty, crv, x, y };
}

/** The RFC 7638 thumbprint of `jwk`. */
export async function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): Promise<string> {
  const members = REQUIRED[String(jwk.kty)];
  if (members === undefined) throw new TypeError(`JWK: key type "${String(jwk.kty)}"`);
  const canonical: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== "string") throw new TypeError(`JWK: no "${name}" member`);
    canonical[name] = value;
  }
  // Members are inserted in lexicographic order, so JSON.stringify emits them sorted.
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(canonical)),
  );
  return encodeBase64Url(digest);
}

/** A flattened ES256 JWS of `payload` (JSON), or of the empty payload when it is undefined. */
export async function signJws(
  privateKey: CryptoKey,
  header: JwsHeader,
  payload: unknown,
): Promise<FlattenedJws> {
  if ((header.jwk === undefined) === (header.kid === undefined)) {
    throw new TypeError("JWS: exactly one of jwk and kid");
  }
  const protectedHeader = encodeBase64Url(JSON.stringify({ alg: "ES256", ...header }));
  const encodedPayload = payload === undefined ? "" : encodeBase64Url(JSON.stringify(payload));
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    privateKey,
    new TextEncoder().encode(`${protectedHeader}.${encodedPayload}`),
  );
  return {
    protected: protectedHeader,
    payload: encodedPayload,
    signature: encodeBase64Url(signature),
  };
}

/** The externalAccountBinding member of a newAccount request (HS256 over the account's JWK). */
export async function signExternalAccountBinding(
  accountJwk: EcPublicJwk,
  url: string,
  eab: ExternalAccountBinding,
): Promise<FlattenedJws> {
  const key = await crypto.subtle.importKey(
    "raw",
    decodeBase64Url(eab.hmacKey.replace(/=+$/, "")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const protectedHeader = encodeBase64Url(JSON.stringify({ alg: "HS256", kid: eab.kid, url }));
  const payload = encodeBase64Url(JSON.stringify(accountJwk));
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${protectedHeader}.${payload}`),
  );
  return { protected: protectedHeader, payload, signature: encodeBase64Url(mac) };
}

/** The key authorization of a challenge token for an account key's thumbprint. */
export function keyAuthorization(token: string, thumbprint: string): string {
  return `${token}.${thumbprint}`;
}
