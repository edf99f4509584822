/**
 * The certificates a configuration serves, by server: read from the `ssl_certificate` and
 * `ssl_certificate_key` files when the configuration is loaded (or reloaded), or handed over by
 * ACME when it has obtained them. The TLS listener asks for one by SNI (sni.ts).
 */
import type { Config, ServerConfig } from "../config/types.ts";

/** A certificate chain and its key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

export class Certificates {
  readonly #byServer = new Map<ServerConfig, KeyPair>();

  /** Reads the PEM files of every server that listens with `ssl` (each pair once). */
  static async load(config: Config): Promise<Certificates> {
    const certificates = new Certificates();
    const read = new Map<string, Promise<string>>();
    const text = (path: string) => {
      let pending = read.get(path);
      if (pending === undefined) read.set(path, pending = Deno.readTextFile(path));
      return pending;
    };
    for (const server of config.servers) {
      const { sslCertificate: cert, sslCertificateKey: key } = server;
      if (cert?.kind !== "file" || key?.kind !== "file") continue;
      certificates.set(server, { cert: await text(cert.path), key: await text(key.path) });
    }
    return certificates;
  }

  get(server: ServerConfig): KeyPair | undefined {
    return this.#byServer.get(server);
  }

  set(server: ServerConfig, pair: KeyPair): void {
    this.#byServer.set(server, pair);
  }
}
