/**
 * An issuer's `state_path`: the account key and each certificate with its key, kept across
 * restarts (directory 0700, files 0600, each written whole to a temporary name and renamed, so a
 * crash never leaves half a key), and the lock that lets one process order at a time.
 *
 *     <state_path>/account.key           PKCS#8 PEM
 *     <state_path>/<first name>.crt      the chain, leaf first
 *     <state_path>/<first name>.key      its key, PKCS#8 PEM
 *     <state_path>/lock                  the pid of the process ordering
 *
 * With `state_path off` (null) nothing is written: the account key is made at each start.
 */
import { join } from "node:path";

export interface StoredCertificate {
  cert: string;
  key: string;
}

export class StateStore {
  constructor(readonly dir: string | null) {}

  async readAccountKey(): Promise<string | null> {
    return await this.#read("account.key");
  }

  async writeAccountKey(pem: string): Promise<void> {
    await this.#write("account.key", pem);
  }

  async readCertificate(names: readonly string[]): Promise<StoredCertificate | null> {
    const base = fileBase(names);
    const [cert, key] = await Promise.all([this.#read(`${base}.crt`), this.#read(`${base}.key`)]);
    return cert === null || key === null ? null : { cert, key };
  }

  /** Writes the key first: a certificate on disk always has its key beside it. */
  async writeCertificate(names: readonly string[], pair: StoredCertificate): Promise<void> {
    const base = fileBase(names);
    await this.#write(`${base}.key`, pair.key);
    await this.#write(`${base}.crt`, pair.cert);
  }

  /**
   * Takes the lock unless a live process other than this one holds it; true when taken. A lock
   * left by a process that is gone (or by this one, from an older configuration) is taken over.
   */
  async lock(): Promise<boolean> {
    if (this.dir === null) return true;
    await this.#ensureDir();
    const path = join(this.dir, "lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await Deno.writeTextFile(path, `${Deno.pid}\n`, { createNew: true, mode: 0o600 });
        return true;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
      const holder = Number((await this.#read("lock"))?.trim());
      if (Number.isInteger(holder) && holder !== Deno.pid && await alive(holder)) return false;
      await Deno.remove(path).catch(() => {});
    }
    return false;
  }

  async unlock(): Promise<void> {
    if (this.dir === null) return;
    const path = join(this.dir, "lock");
    if ((await this.#read("lock"))?.trim() === String(Deno.pid)) {
      await Deno.remove(path).catch(() => {});
    }
  }

  async #read(name: string): Promise<string | null> {
    if (this.dir === null) return null;
    try {
      return await Deno.readTextFile(join(this.dir, name));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }

  async #write(name: string, text: string): Promise<void> {
    if (this.dir === null) return;
    await this.#ensureDir();
    const path = join(this.dir, name);
    const temporary = `${path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(temporary, text, { mode: 0o600 });
    await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, path);
  }

  async #ensureDir(): Promise<void> {
    await Deno.mkdir(this.dir!, { recursive: true, mode: 0o700 });
    await Deno.chmod(this.dir!, 0o700);
  }
}

/** The file name of a certificate: its first name, made safe for a file name. */
function fileBase(names: readonly string[]): string {
  return (names[0] ?? "certificate").replace(/[^a-z0-9.-]/gi, "_");
}

/** Whether a process with this pid exists (Linux: /proc). */
async function alive(pid: number): Promise<boolean> {
  return await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
}
