/**
 * The certificates a configuration obtains over ACME (`acme_certificate`): each one is loaded
 * from its issuer's state_path when the configuration opens (so a restart or a reload serves at
 * once), ordered when it is missing, does not cover the names or is due, and renewed when a
 * third of its lifetime remains; a failure is logged once per attempt and retried with
 * exponential back-off while the old certificate (if any) goes on serving. Every certificate
 * obtained is handed to the servers that use it (the TLS listener reads them per handshake).
 *
 * One process orders at a time per state_path (its lock); another one that finds the lock held
 * re-reads the stored certificate later instead.
 */
import type {
  AcmeCertificateSettings,
  AcmeIssuerSettings,
  Config,
  ServerConfig,
} from "../config/types.ts";
import type { ErrorLog } from "../log/error_log.ts";
import type { Certificates } from "../tls/certificates.ts";
import { coversNames, parseCertificate, renewalTime } from "./certificate_info.ts";
import { AcmeClient, type AcmeClientOptions } from "./client.ts";
import type { Http01Challenges } from "./http01.ts";
import { exportPrivateKeyPem, generateKeyPair, importKeyPairPem } from "./keys.ts";
import { StateStore } from "./state_store.ts";

/** What the manager does with a certificate, for tests (and nothing else). */
export interface AcmeEvent {
  /**
   * `stored`: a certificate from state_path is served; `ordering`: an order starts; `obtained`:
   * its certificate is served; `failed`: the attempt failed (`detail` says why); `scheduled`:
   * nothing to do before `detail` (an ISO date).
   */
  type: "stored" | "ordering" | "obtained" | "failed" | "scheduled";
  names: string[];
  detail?: string;
}

/** Test hooks: when a certificate is renewed, how long the first retry waits, what happens. */
export interface AcmeOptions {
  onEvent?: (event: AcmeEvent) => void;
  /** The moment to renew a certificate valid from `notBefore` to `notAfter`. */
  renewAt?: (validity: { notBefore: Date; notAfter: Date }) => Date;
  /** The first retry's delay after a failure (doubled each time, up to a day). */
  retryMs?: number;
}

const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 86_400_000;
/** How long a process that found the lock held waits before reading the state again. */
const LOCKED_RETRY_MS = 10_000;
/** Timers hold at most 2^31 - 1 ms; a longer wait is taken in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;
/** The longest one order may take, everything included. */
const ORDER_TIMEOUT_MS = 10 * 60_000;

/** One certificate: an issuer and its names, for the servers that name them. */
interface Job {
  issuer: AcmeIssuerSettings;
  names: string[];
  servers: ServerConfig[];
  store: StateStore;
  /** The certificate served now. */
  current: { notBefore: Date; notAfter: Date } | null;
  failures: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class AcmeManager {
  readonly #jobs: Job[] = [];
  readonly #clients = new Map<string, Promise<AcmeClient>>();
  readonly #stopped = new AbortController();
  #running: Promise<void>[] = [];

  private constructor(
    private readonly certificates: Certificates,
    private readonly challenges: Http01Challenges,
    private readonly log: ErrorLog,
    private readonly options: AcmeOptions,
  ) {}

  /**
   * The jobs of a configuration, each with its stored certificate installed when there is a
   * valid one for its names. Nothing is ordered before `start()`.
   */
  static async open(
    config: Config,
    certificates: Certificates,
    challenges: Http01Challenges,
    log: ErrorLog,
    options: AcmeOptions = {},
  ): Promise<AcmeManager> {
    const manager = new AcmeManager(certificates, challenges, log, options);
    const byKey = new Map<string, Job>();
    for (const server of config.servers) {
      const acme: AcmeCertificateSettings | null = server.acme;
      if (acme === null) continue;
      const key = `${acme.issuer}\0${acme.names.join(" ")}`;
      let job = byKey.get(key);
      if (job === undefined) {
        const issuer = config.acmeIssuers.get(acme.issuer)!;
        job = {
          issuer,
          names: acme.names,
          servers: [],
          store: new StateStore(issuer.statePath),
          current: null,
          failures: 0,
          timer: null,
        };
        byKey.set(key, job);
        manager.#jobs.push(job);
      }
      job.servers.push(server);
    }
    for (const job of manager.#jobs) await manager.#loadStored(job);
    return manager;
  }

  /** Orders what is missing or due, and schedules every renewal (decided before it returns). */
  start(): void {
    for (const job of this.#jobs) {
      if (job.current === null || this.#due(job.current)) this.#run(job);
      else this.#schedule(job, this.#renewal(job.current).getTime() - Date.now());
    }
  }

  #emit(job: Job, type: AcmeEvent["type"], detail?: string): void {
    this.options.onEvent?.({ type, names: job.names, ...(detail === undefined ? {} : { detail }) });
  }

  /** Stops ordering: timers cleared, orders under way aborted; resolves once they have ended. */
  async stop(): Promise<void> {
    this.#stopped.abort(new Error("the configuration was replaced"));
    for (const job of this.#jobs) if (job.timer !== null) clearTimeout(job.timer);
    await Promise.allSettled(this.#running);
    for (const client of this.#clients.values()) {
      await client.then((c) => c.close(), () => {});
    }
  }

  /** Installs the stored certificate of `job` if it is readable and covers its names. */
  async #loadStored(job: Job): Promise<boolean> {
    let stored;
    try {
      stored = await job.store.readCertificate(job.names);
    } catch (e) {
      this.#report("error", job, `cannot read the stored certificate: ${message(e)}`);
      return false;
    }
    if (stored === null) return false;
    try {
      const info = parseCertificate(stored.cert);
      if (!coversNames(info, job.names) || info.notAfter.getTime() <= Date.now()) return false;
      if (job.current !== null && info.notAfter.getTime() <= job.current.notAfter.getTime()) {
        return false;
      }
      this.#install(job, stored.cert, stored.key, info);
      this.#emit(job, "stored");
      return true;
    } catch (e) {
      this.#report("warn", job, `the stored certificate is unreadable (${message(e)}): ordering`);
      return false;
    }
  }

  #install(
    job: Job,
    cert: string,
    key: string,
    validity: { notBefore: Date; notAfter: Date },
  ): void {
    job.current = { notBefore: validity.notBefore, notAfter: validity.notAfter };
    for (const server of job.servers) this.certificates.set(server, { cert, key });
  }

  #renewal(validity: { notBefore: Date; notAfter: Date }): Date {
    return this.options.renewAt?.(validity) ?? renewalTime(validity);
  }

  #due(validity: { notBefore: Date; notAfter: Date }): boolean {
    return this.#renewal(validity).getTime() <= Date.now();
  }

  /** Runs `job`'s order after `ms` (in steps, for waits longer than a timer holds). */
  #schedule(job: Job, ms: number): void {
    if (this.#stopped.signal.aborted) return;
    const wait = Math.max(0, Math.min(ms, LONGEST_TIMER_MS));
    this.#emit(job, "scheduled", new Date(Date.now() + Math.max(0, ms)).toISOString());
    job.timer = setTimeout(() => {
      job.timer = null;
      if (ms > LONGEST_TIMER_MS) this.#schedule(job, ms - LONGEST_TIMER_MS);
      else this.#run(job);
    }, wait);
  }

  #run(job: Job): void {
    this.#emit(job, "ordering");
    const running = this.#order(job);
    this.#running.push(running);
    running.finally(() => this.#running = this.#running.filter((r) => r !== running));
  }

  /** One attempt: order (under the lock), store, install; then the next renewal or retry. */
  async #order(job: Job): Promise<void> {
    const signal = AbortSignal.any([
      this.#stopped.signal,
      AbortSignal.timeout(ORDER_TIMEOUT_MS),
    ]);
    let locked = false;
    try {
      locked = await job.store.lock();
      if (!locked) {
        // Another process orders: serve what it stores.
        await this.#loadStored(job);
        const next = job.current !== null && !this.#due(job.current)
          ? this.#renewal(job.current).getTime() - Date.now()
          : LOCKED_RETRY_MS;
        this.#schedule(job, next);
        return;
      }
      if (await this.#loadStored(job) && !this.#due(job.current!)) {
        this.#schedule(job, this.#renewal(job.current!).getTime() - Date.now());
        return;
      }
      this.#report("notice", job, "ordering a certificate");

      const client = await this.#client(job);
      await client.ensureAccount(signal);
      const got = await client.obtain(job.names, this.challenges, { signal });
      await job.store.writeCertificate(job.names, {
        cert: got.certificatePem,
        key: got.privateKeyPem,
      });
      this.#install(job, got.certificatePem, got.privateKeyPem, got);
      this.#emit(job, "obtained");
      job.failures = 0;
      const renewal = this.#renewal(got);
      this.#report(
        "notice",
        job,
        `certificate obtained, valid until ${got.notAfter.toISOString()}, ` +
          `renewal at ${renewal.toISOString()}`,
      );
      this.#schedule(job, renewal.getTime() - Date.now());
    } catch (e) {
      if (this.#stopped.signal.aborted) return;
      const first = this.options.retryMs ?? FIRST_RETRY_MS;
      const delay = Math.min(LONGEST_RETRY_MS, first * 2 ** Math.min(job.failures, 20));
      job.failures++;
      // The client is made again next time (a directory URL that failed, a changed account).
      this.#clients.get(job.issuer.name)?.then((c) => c.close(), () => {});
      this.#clients.delete(job.issuer.name);
      const serving = job.current === null
        ? "no certificate yet"
        : `the certificate valid until ${job.current.notAfter.toISOString()} goes on serving`;
      this.#report(
        "error",
        job,
        `failed: ${message(e)}; ${serving}; next attempt in ${Math.round(delay / 1000)}s`,
      );
      this.#emit(job, "failed", message(e));
      this.#schedule(job, delay);
    } finally {
      if (locked) await job.store.unlock().catch(() => {});
    }
  }

  /** The issuer's client, with its account key (stored, read from a file, or made). */
  #client({ issuer, store }: Job): Promise<AcmeClient> {
    let client = this.#clients.get(issuer.name);
    if (client === undefined) {
      client = openClient(issuer, store);
      this.#clients.set(issuer.name, client);
    }
    return client;
  }

  #report(level: "notice" | "warn" | "error", job: Job, text: string): void {
    this.log.log(
      level,
      `acme: "${job.names.join(" ")}" from issuer "${job.issuer.name}": ${text}`,
    );
  }
}

async function openClient(issuer: AcmeIssuerSettings, store: StateStore): Promise<AcmeClient> {
  const options: AcmeClientOptions = {
    directoryUrl: issuer.uri!,
    accountKey: await accountKey(issuer, store),
    contact: issuer.contact,
    termsOfServiceAgreed: issuer.acceptTermsOfService,
  };
  if (issuer.sslTrustedCertificate !== null) {
    options.caCerts = [await Deno.readTextFile(issuer.sslTrustedCertificate)];
  }
  if (issuer.externalAccountKey !== null) {
    const { kid, key } = issuer.externalAccountKey;
    const text = key.startsWith("data:") ? key.slice(5) : (await Deno.readTextFile(key)).trim();
    options.externalAccountBinding = { kid, hmacKey: text };
  }
  return await AcmeClient.open(options);
}

async function accountKey(issuer: AcmeIssuerSettings, store: StateStore): Promise<CryptoKeyPair> {
  if (issuer.accountKeyFile !== null) {
    return await importKeyPairPem(await Deno.readTextFile(issuer.accountKeyFile));
  }
  const stored = await store.readAccountKey();
  if (stored !== null) return await importKeyPairPem(stored);
  const made = await generateKeyPair();
  await store.writeAccountKey(await exportPrivateKeyPem(made.privateKey));
  return made;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
