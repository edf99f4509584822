/**
 * The `auth_basic_user_file`s of a configuration, read when first needed and read again when they
 * change (checked by one `stat` at most once a second), so that an edited file takes effect
 * without a reload, as in nginx (which reads the file for every request).
 */
import { UserFile } from "./htpasswd.ts";

const REVALIDATE_MS = 1000;

interface Loaded {
  file: UserFile;
  mtimeMs: number | null;
  checkedAt: number;
}

export class UserFiles {
  readonly #loaded = new Map<string, Loaded>();

  /** The file at `path`; rejects as reading it does (NotFound, PermissionDenied, …). */
  async get(path: string): Promise<UserFile> {
    const now = Date.now();
    const known = this.#loaded.get(path);
    if (known !== undefined && now - known.checkedAt < REVALIDATE_MS) return known.file;
    const mtimeMs = (await Deno.stat(path)).mtime?.getTime() ?? null;
    if (known !== undefined && mtimeMs !== null && mtimeMs === known.mtimeMs) {
      known.checkedAt = now;
      return known.file;
    }
    const file = await UserFile.load(path);
    this.#loaded.set(path, { file, mtimeMs, checkedAt: now });
    return file;
  }
}
