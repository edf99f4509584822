/**
 * A cache of what the static handler needs to know about a path: its kind, its validators and
 * ready-made headers, and for small files the content itself.
 */
import { httpDate } from "../http/date.ts";
import type { MimeTypes } from "../http/mime.ts";
import { fsErrorStatus } from "./fs_errors.ts";

/** A regular file. Its header lists are frozen: share them, never mutate them. */
export interface CachedFile {
  /** The file's path (its extension gives the content type). */
  path: string;
  kind: "file";
  size: number;
  /** Modification time in milliseconds, or null when the platform gives none. */
  mtimeMs: number | null;
  /** nginx style: `"<mtime seconds hex>-<size hex>"`. */
  etag: string;
  /** The HTTP date of the modification time (whole seconds), or null without one. */
  lastModified: string | null;
  /** The whole content for files up to `maxFileSize`, else null (stream it from disk). */
  bytes: Uint8Array | null;
  /** The headers of a 200 for each content-type table it was served with (see headersFor). */
  variants: Map<number, readonly [string, string][]>;
}

/** A directory. */
export interface CachedDirectory {
  kind: "directory";
  mtimeMs: number | null;
}

/** A path that cannot be served: 404 (missing, not a regular file) or 403 (not readable). */
export interface CachedError {
  kind: "error";
  status: 403 | 404;
}

export type CacheEntry = CachedFile | CachedDirectory | CachedError;

export interface FileCacheOptions {
  /** How long an entry is trusted before one `stat` checks it again (ms); default 1000. */
  revalidateMs?: number;
  /** Most entries kept; default 1024. */
  maxEntries?: number;
  /** Most content bytes kept in memory; default 32 MiB. */
  maxBytes?: number;
  /** Largest file whose content is kept; default 64 KiB. */
  maxFileSize?: number;
  /** The clock, in milliseconds; default `Date.now`. */
  now?: () => number;
}

interface Slot {
  entry: CacheEntry;
  /** When the entry was last known to match the disk. */
  checkedAt: number;
}

/**
 * A cache keyed by absolute file path. Entries are revalidated with one `Deno.stat` when older
 * than `revalidateMs` and reloaded when kind, size or mtime changed; missing and forbidden paths
 * are remembered for the same window. The oldest entries go first when a limit is reached.
 */
export class FileCache {
  readonly #revalidateMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxFileSize: number;
  readonly #now: () => number;
  readonly #slots = new Map<string, Slot>();
  readonly #loading = new Map<string, Promise<CacheEntry>>();
  #bytes = 0;

  constructor(options: FileCacheOptions = {}) {
    this.#revalidateMs = options.revalidateMs ?? 1000;
    this.#maxEntries = options.maxEntries ?? 1024;
    this.#maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.#maxFileSize = Math.min(options.maxFileSize ?? 64 * 1024, this.#maxBytes);
    this.#now = options.now ?? Date.now;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#slots.size;
  }

  /** Content bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entry for a path when it is still fresh, without any I/O; else undefined. */
  peek(path: string): CacheEntry | undefined {
    const slot = this.#slots.get(path);
    if (slot === undefined || this.#now() - slot.checkedAt >= this.#revalidateMs) return undefined;
    return slot.entry;
  }

  /** The entry for a path: from the cache when fresh, else after a `stat` (and a read). */
  get(path: string): Promise<CacheEntry> {
    const fresh = this.peek(path);
    if (fresh !== undefined) return Promise.resolve(fresh);
    // Concurrent requests for the same path share one load.
    let loading = this.#loading.get(path);
    if (loading === undefined) {
      loading = this.#refresh(path).finally(() => this.#loading.delete(path));
      this.#loading.set(path, loading);
    }
    return loading;
  }

  /** Forgets a path (the disk was seen to disagree with the entry). */
  delete(path: string): void {
    const slot = this.#slots.get(path);
    if (slot === undefined) return;
    this.#slots.delete(path);
    if (slot.entry.kind === "file" && slot.entry.bytes !== null) {
      this.#bytes -= slot.entry.bytes.length;
    }
  }

  async #refresh(path: string): Promise<CacheEntry> {
    const now = this.#now();
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (e) {
      const status = fsErrorStatus(e);
      if (status === null) throw e;
      return this.#store(path, { kind: "error", status }, now);
    }
    const slot = this.#slots.get(path);
    // Unchanged on disk: trust the entry for another window.
    if (slot !== undefined && sameAsDisk(slot.entry, info)) {
      slot.checkedAt = now;
      return slot.entry;
    }
    return this.#store(path, await this.#load(path, info), now);
  }

  /** Builds the entry for a path from its stat, reading the content of a small file. */
  async #load(path: string, info: Deno.FileInfo): Promise<CacheEntry> {
    const mtimeMs = info.mtime?.getTime() ?? null;
    if (info.isDirectory) return { kind: "directory", mtimeMs };
    // FIFOs, sockets and devices are not served (nginx: "is not a regular file").
    if (!info.isFile) return { kind: "error", status: 404 };
    let bytes: Uint8Array | null = null;
    let size = info.size;
    if (size <= this.#maxFileSize) {
      try {
        bytes = await Deno.readFile(path);
      } catch (e) {
        const status = fsErrorStatus(e);
        if (status === null) throw e;
        return { kind: "error", status };
      }
      // The length served is the length read, even if the file changed since the stat.
      size = bytes.length;
    }
    return fileEntry(path, size, mtimeMs, bytes);
  }

  #store(path: string, entry: CacheEntry, now: number): CacheEntry {
    this.delete(path);
    this.#slots.set(path, { entry, checkedAt: now });
    if (entry.kind === "file" && entry.bytes !== null) this.#bytes += entry.bytes.length;
    // Evict the oldest entries (Map order is insertion order), never the one just stored.
    while (
      (this.#slots.size > this.#maxEntries || this.#bytes > this.#maxBytes) && this.#slots.size > 1
    ) {
      const oldest = this.#slots.keys().next().value as string;
      this.delete(oldest);
    }
    return entry;
  }
}

/** Builds a file entry with its validators. */
export function fileEntry(
  path: string,
  size: number,
  mtimeMs: number | null,
  bytes: Uint8Array | null,
): CachedFile {
  const seconds = Math.floor((mtimeMs ?? 0) / 1000);
  const etag = `"${seconds.toString(16)}-${size.toString(16)}"`;
  const lastModified = mtimeMs === null ? null : httpDate(new Date(seconds * 1000));
  return { path, size, mtimeMs, etag, lastModified, bytes, kind: "file", variants: new Map() };
}

/**
 * The headers of a full 200 for the file, with the content type of `mime` (a location's table):
 * Content-Type, Content-Length, Last-Modified, ETag (unless `etag` is off), Accept-Ranges. Built
 * once per table, `etag` setting and file.
 */
export function headersFor(
  entry: CachedFile,
  mime: MimeTypes,
  etag = true,
): readonly [string, string][] {
  const variant = mime.id * 2 + (etag ? 1 : 0);
  let headers = entry.variants.get(variant);
  if (headers === undefined) {
    const list: [string, string][] = [
      ["Content-Type", mime.typeOf(entry.path)],
      ["Content-Length", String(entry.size)],
    ];
    if (entry.lastModified !== null) list.push(["Last-Modified", entry.lastModified]);
    if (etag) list.push(["ETag", entry.etag]);
    list.push(["Accept-Ranges", "bytes"]);
    headers = freezeHeaders(list);
    entry.variants.set(variant, headers);
  }
  return headers;
}

function freezeHeaders(headers: [string, string][]): readonly [string, string][] {
  for (const h of headers) Object.freeze(h);
  return Object.freeze(headers);
}

/** Whether a stat still describes the entry: same kind, and for files same size and mtime. */
function sameAsDisk(entry: CacheEntry, info: Deno.FileInfo): boolean {
  const mtimeMs = info.mtime?.getTime() ?? null;
  switch (entry.kind) {
    case "file":
      return info.isFile && info.size === entry.size && mtimeMs === entry.mtimeMs;
    case "directory":
      return info.isDirectory;
    case "error":
      return false;
  }
}
