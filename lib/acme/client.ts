/**
 * An ACME client (RFC 8555) that obtains certificates by the http-01 challenge. It knows nothing
 * of the server that uses it: the caller makes `http://<name>/.well-known/acme-challenge/<token>`
 * answer the key authorization through a solver, and stores what it gets back.
 *
 *     const client = await AcmeClient.open({ directoryUrl, accountKey, contact, caCerts });
 *     try {
 *       await client.ensureAccount();
 *       const { certificatePem, privateKeyPem, notAfter } = await client.obtain(
 *         ["example.com", "www.example.com"],
 *         { provision(token, keyAuthorization) {…}, cleanup(token) {…} },
 *       );
 *     } finally {
 *       client.close();
 *     }
 *
 * - `AcmeClient.open(options)`: reads the directory; an AcmeError naming the URL if it is not one.
 * - `client.ensureAccount(signal?)`: finds or creates the account of `accountKey` (newAccount with
 *   `termsOfServiceAgreed` and `contact`, and an external account binding when given); an
 *   existing account whose contacts differ from `contact` is updated. Cached after the first
 *   success.
 * - `client.obtain(names, solver, { signal }?)`: one order for all `names` (lower-cased, a final
 *   dot dropped, IDNs as A-labels, duplicates removed): each pending authorization's http-01
 *   challenge is provisioned through `solver`, answered and polled (all concurrently; the first
 *   failure stops the others), every provisioned token is cleaned up whatever happens, then the
 *   order is finalized with a CSR for a fresh P-256 key and the PEM chain downloaded. Returns the
 *   chain (leaf first), the key as PKCS#8 PEM, the leaf's validity and names.
 * - `client.close()` (or `using`): releases the HTTP client made for `caCerts`.
 * - `client.directory`, `client.accountUrl`, `client.thumbprint`: the directory as read, the
 *   account's URL once known, the account key's RFC 7638 thumbprint.
 *
 * Transport: every exchange (connect, send, read the whole answer, at most 1 MiB) is bounded by
 * `timeoutMs`; every wait for an object to change state by `pollTimeoutMs`, polling after the
 * server's Retry-After or else with exponential back-off from `pollIntervalMs` up to
 * `maxPollIntervalMs`. Nonces come from every answer's Replay-Nonce, else from a HEAD of
 * newNonce; a `badNonce` answer is retried with a fresh nonce up to `badNonceRetries` times.
 * `caCerts` (PEM) are the roots trusted for the CA's HTTPS (through `Deno.createHttpClient`), in
 * place of the default store. `http:` directory URLs are refused except on loopback hosts. Pass
 * `signal: AbortSignal.timeout(ms)` for a bound on a whole operation.
 *
 * Errors: every failure to talk to the CA, and every problem document it sends, is an AcmeError
 * (./acme_error.ts) with the URL concerned, the HTTP status, the problem's type and detail; an
 * aborted `signal` rejects with its reason; a name that cannot be a DNS name is a TypeError;
 * what the solver throws is passed on as is (after the cleanup).
 *
 * `onEvent` receives what happens, for logs and tests: each request and its status, badNonce
 * retries, polls and their delays, challenges provisioned, cleanups that failed.
 *
 * Not here: dns-01 and tls-alpn-01 (so no wildcard names: their authorizations offer dns-01
 * only, which is an AcmeError), IP identifiers (RFC 8738), revocation, key roll-over, alternate
 * chains, and ARI (RFC 9773: Debian's pebble 2.4.0 has no renewalInfo to test it against), so
 * when to renew is certificate_info.ts's `renewalTime`. The solver's callbacks are the caller's
 * code: their time is not bounded here.
 */
import { AcmeError, type AcmeProblem } from "./acme_error.ts";
import {
  type AcmeDirectory,
  authorizationError,
  isObject,
  orderError,
  readAuthorization,
  readDirectory,
  readOrder,
  stringArray,
} from "./objects.ts";
import { encodeBase64Url } from "./base64url.ts";
import { parseRetryAfter, pollDelay, sleep } from "./backoff.ts";
import { parseCertificate } from "./certificate_info.ts";
import { createCsr } from "./csr.ts";
import {
  type EcPublicJwk,
  type ExternalAccountBinding,
  jwkThumbprint,
  keyAuthorization,
  publicJwk,
  signExternalAccountBinding,
  signJws,
} from "./jws.ts";
import { exportPrivateKeyPem, generateKeyPair } from "./keys.ts";

export { AcmeError } from "./acme_error.ts";
export type { AcmeProblem } from "./acme_error.ts";
export type { ExternalAccountBinding } from "./jws.ts";
export type { AcmeDirectory } from "./objects.ts";

/** How to reach the CA and who the account is. */
export interface AcmeClientOptions {
  /** The CA's directory URL, e.g. "https://acme-v02.api.letsencrypt.org/directory". */
  directoryUrl: string;
  /** The account's ECDSA P-256 key pair (see keys.ts to make, store and load one). */
  accountKey: CryptoKeyPair;
  /** Contact URLs for the account, e.g. ["mailto:admin@example.com"]. */
  contact?: string[];
  /** Agree to the CA's terms of service (`directory.meta.termsOfService`); default true. */
  termsOfServiceAgreed?: boolean;
  /** An external account binding, for CAs that require one. */
  externalAccountBinding?: ExternalAccountBinding;
  /** PEM roots to trust for the CA's HTTPS instead of the default store. */
  caCerts?: string[];
  /** Bound on each HTTP exchange, in ms; default 30 000. */
  timeoutMs?: number;
  /** Bound on waiting for one authorization or order to change state, in ms; default 120 000. */
  pollTimeoutMs?: number;
  /** First poll interval without Retry-After, in ms (doubled each time); default 1 000. */
  pollIntervalMs?: number;
  /** Longest wait between polls, Retry-After included, in ms; default 10 000. */
  maxPollIntervalMs?: number;
  /** How many times a request answered `badNonce` is retried; default 10. */
  badNonceRetries?: number;
  /** The User-Agent sent (RFC 8555 §6.1); default "acme-client Deno/<version>". */
  userAgent?: string;
  /** Receives what happens, for logs and tests. */
  onEvent?: (event: AcmeEvent) => void;
}

/** What `onEvent` is told. */
export type AcmeEvent =
  | { type: "request"; method: string; url: string; status: number }
  | { type: "badNonce"; url: string; attempt: number }
  | { type: "poll"; url: string; status: string; delayMs: number }
  | { type: "challenge"; identifier: string; token: string; url: string }
  | { type: "cleanupFailed"; identifier: string; token: string; error: unknown };

/** The account, as `ensureAccount` found or created it. */
export interface AcmeAccount {
  url: string;
  status: string;
  contact: string[];
  /** Whether this call created it (201) rather than finding it (200). */
  created: boolean;
}

/** How the caller serves http-01 answers: the library never listens on a port itself. */
export interface Http01Solver {
  /**
   * Make `http://<identifier>/.well-known/acme-challenge/<token>` (port 80, as the CA sees it)
   * answer 200 with `keyAuthorization` as its body. Resolves once it does.
   */
  provision(token: string, keyAuthorization: string, identifier: string): void | Promise<void>;
  /** Stop answering for `token`. Called for every token provisioned, whatever the outcome. */
  cleanup(token: string, identifier: string): void | Promise<void>;
}

/** Options of one `obtain`. */
export interface ObtainOptions {
  /** Aborts the whole operation (its reason is what `obtain` rejects with). */
  signal?: AbortSignal;
}

/** A certificate obtained, and its key. */
export interface ObtainedCertificate {
  /** The PEM chain, leaf first, as the CA sent it: what `Deno.listenTls`'s `cert` takes. */
  certificatePem: string;
  /** The certificate's fresh P-256 key as PKCS#8 PEM: what `Deno.listenTls`'s `key` takes. */
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** The names ordered, normalized, in order. */
  names: string[];
  orderUrl: string;
  certificateUrl: string;
}

interface Answer {
  url: string;
  status: number;
  headers: Headers;
  body: Uint8Array;
}

interface PostOptions {
  signal?: AbortSignal | undefined;
  useJwk?: boolean;
  accept?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_POLL_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_INTERVAL_MS = 1_000;
const DEFAULT_MAX_POLL_INTERVAL_MS = 10_000;
const DEFAULT_BAD_NONCE_RETRIES = 10;
const MIN_POLL_INTERVAL_MS = 50;
const MAX_BODY_BYTES = 1 << 20;
const MAX_NONCES = 16;
const NONCE = /^[A-Za-z0-9_-]+$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An ACME account at one CA. */
export class AcmeClient implements Disposable {
  /** The directory as read by `open`. */
  readonly directory: AcmeDirectory;
  /** The directory's URL. */
  readonly directoryUrl: string;
  /** The account key's RFC 7638 thumbprint (the second half of every key authorization). */
  readonly thumbprint: string;

  readonly #key: CryptoKeyPair;
  readonly #jwk: EcPublicJwk;
  readonly #options: AcmeClientOptions;
  readonly #http: Deno.HttpClient | undefined;
  readonly #timeoutMs: number;
  readonly #pollTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #maxPollIntervalMs: number;
  readonly #badNonceRetries: number;
  readonly #userAgent: string;
  readonly #nonces: string[] = [];
  #account: Promise<AcmeAccount> | undefined;
  #accountUrl: string | undefined;

  private constructor(
    options: AcmeClientOptions,
    http: Deno.HttpClient | undefined,
    jwk: EcPublicJwk,
    thumbprint: string,
    directory: AcmeDirectory,
  ) {
    this.#options = options;
    this.#http = http;
    this.#key = options.accountKey;
    this.#jwk = jwk;
    this.thumbprint = thumbprint;
    this.directory = directory;
    this.directoryUrl = options.directoryUrl;
    this.#timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, "timeoutMs");
    this.#pollTimeoutMs = positive(options.pollTimeoutMs, DEFAULT_POLL_TIMEOUT_MS, "pollTimeoutMs");
    this.#pollIntervalMs = positive(
      options.pollIntervalMs,
      DEFAULT_POLL_INTERVAL_MS,
      "pollIntervalMs",
    );
    this.#maxPollIntervalMs = positive(
      options.maxPollIntervalMs,
      DEFAULT_MAX_POLL_INTERVAL_MS,
      "maxPollIntervalMs",
    );
    this.#badNonceRetries = options.badNonceRetries ?? DEFAULT_BAD_NONCE_RETRIES;
    if (!Number.isSafeInteger(this.#badNonceRetries) || this.#badNonceRetries < 0) {
      throw new RangeError(`ACME: badNonceRetries ${options.badNonceRetries}`);
    }
    this.#userAgent = options.userAgent ?? `acme-client Deno/${Deno.version.deno}`;
  }

  /** Reads the directory at `options.directoryUrl` and returns a client for it. */
  static async open(options: AcmeClientOptions): Promise<AcmeClient> {
    const url = options.directoryUrl;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (e) {
      throw new AcmeError(`ACME directory "${url}" is not a URL`, { url, cause: e });
    }
    if (
      parsed.protocol !== "https:" &&
      !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))
    ) {
      throw new AcmeError(`ACME directory "${url}": https is required (http only on loopback)`, {
        url,
      });
    }
    const jwk = await publicJwk(options.accountKey.publicKey);
    const thumbprint = await jwkThumbprint({ ...jwk });
    const http = options.caCerts === undefined
      ? undefined
      : Deno.createHttpClient({ caCerts: options.caCerts });
    try {
      const probe = new AcmeClient(options, http, jwk, thumbprint, {
        newNonce: "",
        newAccount: "",
        newOrder: "",
      });
      const answer = await probe.#exchange("GET", url, {});
      if (answer.status !== 200) {
        throw probe.#errorOf(answer, `ACME directory ${url}`);
      }
      const directory = readDirectory(probe.#json(answer, `ACME directory ${url}`), url);
      const client = new AcmeClient(options, http, jwk, thumbprint, directory);
      client.#nonces.push(...probe.#nonces);
      return client;
    } catch (e) {
      http?.close();
      throw e;
    }
  }

  /** The account's URL (its `kid`) once `ensureAccount` has succeeded. */
  get accountUrl(): string | undefined {
    return this.#accountUrl;
  }

  /** Finds or creates the account of the account key (cached once it succeeds). */
  ensureAccount(signal?: AbortSignal): Promise<AcmeAccount> {
    if (this.#account === undefined) {
      const account = this.#registerAccount(signal);
      this.#account = account;
      account.catch(() => {
        if (this.#account === account) this.#account = undefined;
      });
    }
    return this.#account;
  }

  /** Obtains one certificate for all of `names` through http-01 challenges. */
  async obtain(
    names: readonly string[],
    solver: Http01Solver,
    options: ObtainOptions = {},
  ): Promise<ObtainedCertificate> {
    const { signal } = options;
    const identifiers = normalizeNames(names);
    await this.ensureAccount(signal);

    const created = await this.#post(this.directory.newOrder, {
      identifiers: identifiers.map((value) => ({ type: "dns", value })),
    }, { signal });
    const orderUrl = this.#location(created, "newOrder");
    let order = readOrder(this.#json(created, `order ${orderUrl}`), orderUrl);

    if (order.status === "pending") {
      await this.#authorizeAll(order.authorizations, solver, signal);
      order = await this.#poll(orderUrl, readOrder, (o) => o.status !== "pending", "order", signal);
    }
    if (order.status === "valid") {
      throw new AcmeError(`order ${orderUrl} is already valid: its key is not ours`, {
        url: orderUrl,
      });
    }
    if (order.status !== "ready") throw orderError(order, orderUrl);

    const keyPair = await generateKeyPair();
    const csr = await createCsr(identifiers, keyPair);
    const finalized = await this.#post(order.finalize, { csr: encodeBase64Url(csr) }, { signal });
    order = readOrder(this.#json(finalized, `finalize ${order.finalize}`), orderUrl);
    if (order.status !== "valid" && order.status !== "invalid") {
      order = await this.#poll(
        orderUrl,
        readOrder,
        (o) => o.status === "valid" || o.status === "invalid",
        "order",
        signal,
      );
    }
    if (order.status !== "valid") throw orderError(order, orderUrl);
    const certificateUrl = order.certificate;
    if (certificateUrl === undefined) {
      throw new AcmeError(`order ${orderUrl} is valid without a certificate URL`, {
        url: orderUrl,
      });
    }

    const download = await this.#post(certificateUrl, undefined, {
      signal,
      accept: "application/pem-certificate-chain",
    });
    const certificatePem = new TextDecoder().decode(download.body);
    let info;
    try {
      info = parseCertificate(certificatePem);
    } catch (e) {
      throw new AcmeError(`certificate ${certificateUrl}: not a PEM certificate chain`, {
        url: certificateUrl,
        cause: e,
      });
    }
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
    if (!sameBytes(info.subjectPublicKeyInfo, spki)) {
      throw new AcmeError(`certificate ${certificateUrl} is not for the key of the CSR`, {
        url: certificateUrl,
      });
    }
    const missing = identifiers.filter((n) => !info.dnsNames.includes(n));
    if (missing.length > 0) {
      throw new AcmeError(
        `certificate ${certificateUrl} does not name ${missing.join(", ")}`,
        { url: certificateUrl },
      );
    }
    return {
      certificatePem,
      privateKeyPem: await exportPrivateKeyPem(keyPair.privateKey),
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      names: identifiers,
      orderUrl,
      certificateUrl,
    };
  }

  /** Releases the HTTP client made for `caCerts`. */
  close(): void {
    this.#http?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #registerAccount(signal: AbortSignal | undefined): Promise<AcmeAccount> {
    const { contact, externalAccountBinding } = this.#options;
    const url = this.directory.newAccount;
    const payload: Record<string, unknown> = {
      termsOfServiceAgreed: this.#options.termsOfServiceAgreed ?? true,
    };
    if (contact !== undefined) payload.contact = contact;
    if (externalAccountBinding !== undefined) {
      payload.externalAccountBinding = await signExternalAccountBinding(
        this.#jwk,
        url,
        externalAccountBinding,
      );
    }
    const answer = await this.#post(url, payload, { signal, useJwk: true });
    const accountUrl = this.#location(answer, "newAccount");
    const body = this.#json(answer, `account ${accountUrl}`);
    const status = typeof body.status === "string" ? body.status : "valid";
    if (status !== "valid") {
      throw new AcmeError(`account ${accountUrl} is ${status}`, { url: accountUrl });
    }
    this.#accountUrl = accountUrl;
    let current = stringArray(body.contact);
    const created = answer.status === 201;
    if (!created && contact !== undefined && !sameSet(current, contact)) {
      const updated = await this.#post(accountUrl, { contact }, { signal });
      current = stringArray(this.#json(updated, `account ${accountUrl}`).contact);
    }
    return { url: accountUrl, status, contact: current, created };
  }

  /** Satisfies the authorizations at `urls` concurrently, then cleans up what was provisioned. */
  async #authorizeAll(
    urls: readonly string[],
    solver: Http01Solver,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const stop = new AbortController();
    const inner = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    const provisioned: { token: string; identifier: string }[] = [];
    let failure: { error: unknown } | undefined;
    try {
      await Promise.allSettled(
        urls.map((url) =>
          this.#authorize(url, solver, inner, provisioned).catch((error) => {
            if (failure === undefined) {
              failure = { error };
              stop.abort(error);
            }
          })
        ),
      );
      if (failure !== undefined) throw failure.error;
    } finally {
      for (const { token, identifier } of provisioned) {
        try {
          await solver.cleanup(token, identifier);
        } catch (error) {
          this.#emit({ type: "cleanupFailed", identifier, token, error });
        }
      }
    }
  }

  async #authorize(
    url: string,
    solver: Http01Solver,
    signal: AbortSignal,
    provisioned: { token: string; identifier: string }[],
  ): Promise<void> {
    const authz = readAuthorization(
      this.#json(await this.#post(url, undefined, { signal }), `authorization ${url}`),
      url,
    );
    const identifier = (authz.wildcard ? "*." : "") + authz.identifier.value;
    if (authz.status === "valid") return;
    if (authz.status !== "pending") throw authorizationError(authz, identifier, url);
    const challenge = authz.challenges.find((c) => c.type === "http-01");
    if (challenge === undefined) {
      const offered = authz.challenges.map((c) => c.type).join(", ") || "none";
      throw new AcmeError(
        `authorization ${url} for ${identifier} offers no http-01 challenge (offered: ${offered})`,
        { url },
      );
    }
    if (challenge.status === "pending") {
      const token = challenge.token;
      if (token === undefined || !TOKEN.test(token)) {
        throw new AcmeError(`challenge ${challenge.url}: a missing or malformed token`, {
          url: challenge.url,
        });
      }
      provisioned.push({ token, identifier });
      await solver.provision(token, keyAuthorization(token, this.thumbprint), identifier);
      signal.throwIfAborted();
      this.#emit({ type: "challenge", identifier, token, url: challenge.url });
      await this.#post(challenge.url, {}, { signal });
    }
    const done = await this.#poll(
      url,
      readAuthorization,
      (a) => a.status !== "pending",
      `authorization of ${identifier}`,
      signal,
    );
    if (done.status !== "valid") throw authorizationError(done, identifier, url);
  }

  /** POSTs-as-GET `url` until `done` holds, within `pollTimeoutMs`. */
  async #poll<T extends { status: string }>(
    url: string,
    read: (json: Record<string, unknown>, url: string) => T,
    done: (object: T) => boolean,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const deadline = Date.now() + this.#pollTimeoutMs;
    for (let attempt = 0;; attempt++) {
      const answer = await this.#post(url, undefined, { signal });
      const object = read(this.#json(answer, `${what} ${url}`), url);
      if (done(object)) return object;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new AcmeError(
          `${what} ${url} is still "${object.status}" after ${this.#pollTimeoutMs} ms`,
          { url, timedOut: true },
        );
      }
      const delayMs = Math.min(
        remaining,
        pollDelay(attempt, parseRetryAfter(answer.headers.get("retry-after")), {
          initialMs: this.#pollIntervalMs,
          minMs: Math.min(MIN_POLL_INTERVAL_MS, this.#pollIntervalMs),
          maxMs: this.#maxPollIntervalMs,
        }),
      );
      this.#emit({ type: "poll", url, status: object.status, delayMs });
      await sleep(delayMs, signal);
    }
  }

  /** A signed POST (payload undefined: POST-as-GET), retried on badNonce. Throws on ≥ 400. */
  async #post(url: string, payload: unknown, options: PostOptions): Promise<Answer> {
    for (let attempt = 1;; attempt++) {
      const nonce = await this.#takeNonce(options.signal);
      const header = options.useJwk
        ? { url, nonce, jwk: this.#jwk }
        : { url, nonce, kid: this.#requireAccountUrl(url) };
      const jws = await signJws(this.#key.privateKey, header, payload);
      const headers: Record<string, string> = { "content-type": "application/jose+json" };
      if (options.accept !== undefined) headers.accept = options.accept;
      const answer = await this.#exchange("POST", url, {
        body: JSON.stringify(jws),
        headers,
      }, options.signal);
      if (answer.status < 400) return answer;
      const error = this.#errorOf(answer, `POST ${url}`);
      if (error.acmeType === "badNonce" && attempt <= this.#badNonceRetries) {
        this.#emit({ type: "badNonce", url, attempt });
        continue;
      }
      throw error;
    }
  }

  async #takeNonce(signal: AbortSignal | undefined): Promise<string> {
    const pooled = this.#nonces.pop();
    if (pooled !== undefined) return pooled;
    const url = this.directory.newNonce;
    const answer = await this.#exchange("HEAD", url, {}, signal);
    if (answer.status >= 400) throw this.#errorOf(answer, `newNonce ${url}`);
    const nonce = this.#nonces.pop();
    if (nonce === undefined) {
      throw new AcmeError(`newNonce ${url}: no Replay-Nonce in the answer`, {
        url,
        status: answer.status,
      });
    }
    return nonce;
  }

  /** One HTTP exchange, the whole body read, bounded by `timeoutMs`; keeps its Replay-Nonce. */
  async #exchange(
    method: string,
    url: string,
    init: { body?: string; headers?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await fetch(url, {
        method,
        body: init.body,
        headers: { "user-agent": this.#userAgent, ...init.headers },
        signal: combined,
        client: this.#http,
      });
      const body = await readBody(response, url);
      const nonce = response.headers.get("replay-nonce");
      if (nonce !== null && NONCE.test(nonce)) {
        this.#nonces.push(nonce);
        if (this.#nonces.length > MAX_NONCES) this.#nonces.shift();
      }
      this.#emit({ type: "request", method, url, status: response.status });
      return { url, status: response.status, headers: response.headers, body };
    } catch (e) {
      if (e instanceof AcmeError) throw e;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new AcmeError(`${method} ${url}: no complete answer within ${this.#timeoutMs} ms`, {
          url,
          timedOut: true,
          cause: e,
        });
      }
      throw new AcmeError(`${method} ${url}: ${describe(e)}`, { url, cause: e });
    }
  }

  /** The AcmeError for an answer with an error status, with its problem document if any. */
  #errorOf(answer: Answer, what: string): AcmeError {
    const text = new TextDecoder().decode(answer.body);
    let problem: AcmeProblem | undefined;
    try {
      const json = JSON.parse(text);
      if (isObject(json) && (typeof json.type === "string" || typeof json.detail === "string")) {
        problem = json as AcmeProblem;
      }
    } catch {
      // Not JSON: the text goes into the message.
    }
    const said = problem === undefined
      ? text.trim().slice(0, 200)
      : `${problem.type ?? "(no type)"}: ${problem.detail ?? "(no detail)"}`;
    return new AcmeError(`${what}: ${answer.status}${said === "" ? "" : ` ${said}`}`, {
      url: answer.url,
      status: answer.status,
      problem,
      retryAfterMs: parseRetryAfter(answer.headers.get("retry-after")),
    });
  }

  #json(answer: Answer, what: string): Record<string, unknown> {
    try {
      const json = JSON.parse(new TextDecoder().decode(answer.body));
      if (isObject(json)) return json;
    } catch {
      // Reported below.
    }
    throw new AcmeError(`${what}: the answer is not a JSON object`, {
      url: answer.url,
      status: answer.status,
    });
  }

  #location(answer: Answer, what: string): string {
    const location = answer.headers.get("location");
    if (location === null) {
      throw new AcmeError(`${what} ${answer.url}: no Location in the answer`, {
        url: answer.url,
        status: answer.status,
      });
    }
    return new URL(location, answer.url).href;
  }

  #requireAccountUrl(url: string): string {
    if (this.#accountUrl === undefined) {
      throw new AcmeError(`POST ${url}: no account yet (call ensureAccount first)`, { url });
    }
    return this.#accountUrl;
  }

  #emit(event: AcmeEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer's failure is not the protocol's.
    }
  }
}

/** `names` lower-cased, without a final dot, IDNs as A-labels, duplicates dropped. */
export function normalizeNames(names: readonly string[]): string[] {
  if (names.length === 0) throw new TypeError("ACME: no names to order");
  const out: string[] = [];
  for (const raw of names) {
    let name = raw.trim().toLowerCase().replace(/\.$/, "");
    // deno-lint-ignore no-control-regex
    if (/[^\x00-\x7f]/.test(name)) {
      try {
        name = new URL(`http://${name}/`).hostname;
      } catch {
        throw new TypeError(`ACME: "${raw}" is not a DNS name`);
      }
    }
    if (name === "" || !/^[\x21-\x7e]+$/.test(name) || /[/\\?#@]/.test(name)) {
      throw new TypeError(`ACME: "${raw}" is not a DNS name`);
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** An error's message and its causes' ("fetch failed: … invalid peer certificate: UnknownIssuer"). */
function describe(error: unknown): string {
  const messages: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 4; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    // Deno's fetch repeats the URL: "error sending request for url (…): client error (Connect): …".
    messages.push(message.replace(/^error sending request for url \([^)]*\): /, ""));
    e = e instanceof Error ? e.cause : undefined;
  }
  return messages.join(": ");
}

async function readBody(response: Response, url: string): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new AcmeError(`${url}: an answer over ${MAX_BODY_BYTES} bytes`, {
        url,
        status: response.status,
      });
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return body;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`ACME: ${name} ${value}`);
  return value;
}
