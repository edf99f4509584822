import assert from "node:assert/strict";
import { decodeBase64Url, encodeBase64Url } from "../../../lib/acme/base64url.ts";
import {
  jwkThumbprint,
  keyAuthorization,
  publicJwk,
  signExternalAccountBinding,
  signJws,
} from "../../../lib/acme/jws.ts";
import { generateKeyPair } from "../../../lib/acme/keys.ts";

const ES256 = { name: "ECDSA", hash: "SHA-256" };
const decodeJson = (part: string) => JSON.parse(new TextDecoder().decode(decodeBase64Url(part)));

/** RFC 7638 §3.1's example key and its thumbprint. */
const RFC7638_KEY = {
  kty: "RSA",
  n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP" +
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz" +
    "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZ" +
    "u0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  e: "AQAB",
  alg: "RS256",
  kid: "2011-04-29",
};

Deno.test("JWK thumbprint: RFC 7638 §3.1's example", async () => {
  assert.equal(await jwkThumbprint(RFC7638_KEY), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
});

Deno.test("JWK thumbprint of an EC key: SHA-256 of {crv,kty,x,y} in that order, nothing else", async () => {
  const pair = await generateKeyPair();
  const jwk = await publicJwk(pair.publicKey);
  assert.deepEqual(Object.keys(jwk).sort(), ["crv", "kty", "x", "y"]);
  const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  const expected = encodeBase64Url(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)),
  );
  assert.equal(await jwkThumbprint({ ...jwk }), expected);
  // Member order and optional members do not change it; the private part is not hashed.
  const full = await crypto.subtle.exportKey("jwk", pair.privateKey);
  assert.equal(
    await jwkThumbprint({ y: jwk.y, x: jwk.x, kty: "EC", crv: "P-256", ...full }),
    expected,
  );
  await assert.rejects(jwkThumbprint({ kty: "EC", crv: "P-256", x: jwk.x }), TypeError);
  await assert.rejects(jwkThumbprint({ kty: "XYZ" }), TypeError);
});

Deno.test("JWS with jwk: flattened, ES256, url and nonce protected, r||s signature verifies", async () => {
  const pair = await generateKeyPair();
  const jwk = await publicJwk(pair.publicKey);
  const url = "https://ca.test/new-account";
  const payload = { termsOfServiceAgreed: true, contact: ["mailto:a@b.test"] };
  const jws = await signJws(pair.privateKey, { url, nonce: "n0nce", jwk }, payload);
  assert.deepEqual(Object.keys(jws).sort(), ["payload", "protected", "signature"]);
  assert.deepEqual(decodeJson(jws.protected), { alg: "ES256", url, nonce: "n0nce", jwk });
  assert.deepEqual(decodeJson(jws.payload), payload);
  const signature = decodeBase64Url(jws.signature);
  assert.equal(signature.length, 64, "raw r||s, not DER");
  const input = new TextEncoder().encode(`${jws.protected}.${jws.payload}`);
  assert.ok(await crypto.subtle.verify(ES256, pair.publicKey, signature, input));
  const tampered = new TextEncoder().encode(`${jws.protected}.${encodeBase64Url("{}")}`);
  assert.ok(!await crypto.subtle.verify(ES256, pair.publicKey, signature, tampered));
});

Deno.test("JWS with kid, and POST-as-GET's empty payload", async () => {
  const pair = await generateKeyPair();
  const kid = "https://ca.test/acct/1";
  const jws = await signJws(
    pair.privateKey,
    { url: "https://ca.test/order/1", nonce: "n", kid },
    undefined,
  );
  assert.equal(jws.payload, "");
  assert.deepEqual(decodeJson(jws.protected), {
    alg: "ES256",
    url: "https://ca.test/order/1",
    nonce: "n",
    kid,
  });
  const input = new TextEncoder().encode(`${jws.protected}.`);
  assert.ok(
    await crypto.subtle.verify(ES256, pair.publicKey, decodeBase64Url(jws.signature), input),
  );
  // An empty object is a payload (a challenge response), not POST-as-GET.
  const empty = await signJws(pair.privateKey, { url: "u", nonce: "n", kid }, {});
  assert.equal(empty.payload, encodeBase64Url("{}"));
});

Deno.test("JWS: both jwk and kid, or neither, is a TypeError", async () => {
  const pair = await generateKeyPair();
  const jwk = await publicJwk(pair.publicKey);
  const both = { url: "u", nonce: "n", jwk, kid: "k" } as unknown as Parameters<typeof signJws>[1];
  await assert.rejects(signJws(pair.privateKey, both, {}), TypeError);
  const neither = { url: "u", nonce: "n" } as unknown as Parameters<typeof signJws>[1];
  await assert.rejects(signJws(pair.privateKey, neither, {}), TypeError);
});

Deno.test("JWS: publicJwk refuses a key that is not P-256", async () => {
  const p384 = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, [
    "sign",
    "verify",
  ]);
  await assert.rejects(publicJwk(p384.publicKey), TypeError);
});

Deno.test("external account binding: HS256 over the account JWK, kid and url protected", async () => {
  const pair = await generateKeyPair();
  const jwk = await publicJwk(pair.publicKey);
  const hmacKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
  const url = "https://ca.test/new-account";
  const eab = await signExternalAccountBinding(jwk, url, { kid: "kid-1", hmacKey });
  assert.deepEqual(decodeJson(eab.protected), { alg: "HS256", kid: "kid-1", url });
  assert.deepEqual(decodeJson(eab.payload), jwk);
  const key = await crypto.subtle.importKey(
    "raw",
    decodeBase64Url(hmacKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const input = new TextEncoder().encode(`${eab.protected}.${eab.payload}`);
  assert.ok(await crypto.subtle.verify("HMAC", key, decodeBase64Url(eab.signature), input));
  // A padded key, as some CAs print them, is the same key.
  const padded = await signExternalAccountBinding(jwk, url, { kid: "kid-1", hmacKey: "AAA=" });
  const unpadded = await signExternalAccountBinding(jwk, url, { kid: "kid-1", hmacKey: "AAA" });
  assert.equal(padded.signature, unpadded.signature);
});

Deno.test("key authorization: token, a dot, the thumbprint", () => {
  assert.equal(keyAuthorization("tok_en-1", "thumb"), "tok_en-1.thumb");
});
