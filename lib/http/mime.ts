/** Content types by file extension. */

const UTF8 = "; charset=utf-8";

/** Lower-case extension without its dot → media type (text types carry a charset). */
const TYPES: ReadonlyMap<string, string> = new Map([
  // Text and documents
  ["html", "text/html" + UTF8],
  ["htm", "text/html" + UTF8],
  ["shtml", "text/html" + UTF8],
  ["css", "text/css" + UTF8],
  ["js", "text/javascript" + UTF8],
  ["mjs", "text/javascript" + UTF8],
  ["cjs", "text/javascript" + UTF8],
  ["json", "application/json" + UTF8],
  ["map", "application/json" + UTF8],
  ["jsonld", "application/ld+json" + UTF8],
  ["webmanifest", "application/manifest+json" + UTF8],
  ["xml", "application/xml" + UTF8],
  ["xhtml", "application/xhtml+xml" + UTF8],
  ["rss", "application/rss+xml" + UTF8],
  ["atom", "application/atom+xml" + UTF8],
  ["txt", "text/plain" + UTF8],
  ["text", "text/plain" + UTF8],
  ["log", "text/plain" + UTF8],
  ["csv", "text/csv" + UTF8],
  ["tsv", "text/tab-separated-values" + UTF8],
  ["md", "text/markdown" + UTF8],
  ["markdown", "text/markdown" + UTF8],
  ["ics", "text/calendar" + UTF8],
  ["vtt", "text/vtt" + UTF8],
  ["yaml", "application/yaml" + UTF8],
  ["yml", "application/yaml" + UTF8],
  ["toml", "application/toml" + UTF8],
  ["pdf", "application/pdf"],
  ["rtf", "application/rtf"],
  ["doc", "application/msword"],
  ["docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  ["xls", "application/vnd.ms-excel"],
  ["xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
  ["ppt", "application/vnd.ms-powerpoint"],
  ["pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"],
  ["odt", "application/vnd.oasis.opendocument.text"],
  ["epub", "application/epub+zip"],
  // Images
  ["svg", "image/svg+xml" + UTF8],
  ["svgz", "image/svg+xml"],
  ["png", "image/png"],
  ["apng", "image/apng"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["ico", "image/x-icon"],
  ["bmp", "image/bmp"],
  ["tif", "image/tiff"],
  ["tiff", "image/tiff"],
  ["heic", "image/heic"],
  // Fonts
  ["woff", "font/woff"],
  ["woff2", "font/woff2"],
  ["ttf", "font/ttf"],
  ["otf", "font/otf"],
  ["eot", "application/vnd.ms-fontobject"],
  // Audio
  ["mp3", "audio/mpeg"],
  ["ogg", "audio/ogg"],
  ["oga", "audio/ogg"],
  ["opus", "audio/ogg"],
  ["wav", "audio/wav"],
  ["flac", "audio/flac"],
  ["m4a", "audio/mp4"],
  ["aac", "audio/aac"],
  ["mid", "audio/midi"],
  ["midi", "audio/midi"],
  ["weba", "audio/webm"],
  // Video
  ["mp4", "video/mp4"],
  ["m4v", "video/mp4"],
  ["webm", "video/webm"],
  ["ogv", "video/ogg"],
  ["mov", "video/quicktime"],
  ["mkv", "video/x-matroska"],
  ["avi", "video/x-msvideo"],
  ["mpeg", "video/mpeg"],
  ["mpg", "video/mpeg"],
  ["ts", "video/mp2t"],
  ["m3u8", "application/vnd.apple.mpegurl"],
  ["3gp", "video/3gpp"],
  // Applications and archives
  ["wasm", "application/wasm"],
  ["zip", "application/zip"],
  ["gz", "application/gzip"],
  ["tgz", "application/gzip"],
  ["tar", "application/x-tar"],
  ["bz2", "application/x-bzip2"],
  ["xz", "application/x-xz"],
  ["zst", "application/zstd"],
  ["7z", "application/x-7z-compressed"],
  ["rar", "application/vnd.rar"],
  ["jar", "application/java-archive"],
  ["bin", "application/octet-stream"],
  ["exe", "application/octet-stream"],
  ["iso", "application/octet-stream"],
  ["dmg", "application/octet-stream"],
  ["deb", "application/vnd.debian.binary-package"],
  ["rpm", "application/x-rpm"],
  ["apk", "application/vnd.android.package-archive"],
  ["swf", "application/x-shockwave-flash"],
]);

/** nginx's `charset_types` default: the types the `charset` directive labels. */
export const DEFAULT_CHARSET_TYPES: readonly string[] = [
  "text/html",
  "text/xml",
  "text/plain",
  "text/vnd.wap.wml",
  "application/javascript",
  "application/rss+xml",
];

/** What decides a location's content types: nginx's `types`, `default_type`, `charset`. */
export interface MimeSettings {
  /** Extension (lower case, no dot) → type, from `types { }`; null for the built-in table. */
  types: ReadonlyMap<string, string> | null;
  /** The type of files whose extension is not in the table. */
  defaultType: string;
  /** `charset name`, or null for `charset off`. */
  charset: string | null;
  /** The types `charset` applies to. */
  charsetTypes: readonly string[];
}

let mimeIds = 0;
let tableIds = 0;

/**
 * The content types of one location, from its settings. Without a `types` block the built-in
 * table applies, whose text types (and a `text/` default type) are labelled UTF-8; with one, types
 * are as written and only `charset` adds a charset, to the `charset_types`, as in nginx.
 */
export class MimeTypes {
  /** Distinct per distinct settings (interned), so caches can key on it. */
  readonly id = mimeIds++;
  readonly #table: ReadonlyMap<string, string>;
  readonly #default: string;
  readonly #charset: string | null;
  readonly #charsetTypes: ReadonlySet<string>;

  private constructor(settings: MimeSettings) {
    this.#table = settings.types ?? TYPES;
    this.#charset = settings.charset;
    // text/html always, besides the types listed (nginx's charset_types).
    this.#charsetTypes = new Set([...settings.charsetTypes, "text/html"]);
    const builtInText = settings.types === null && settings.defaultType.startsWith("text/");
    this.#default = this.#label(
      builtInText && !settings.defaultType.includes(";")
        ? settings.defaultType + UTF8
        : settings.defaultType,
    );
  }

  static #interned = new Map<string, MimeTypes>();
  static #tables = new WeakMap<ReadonlyMap<string, string>, number>();

  /** The MimeTypes for these settings; the same object for the same settings. */
  static of(settings: MimeSettings): MimeTypes {
    let table = 0;
    if (settings.types !== null) {
      table = MimeTypes.#tables.get(settings.types) ?? 0;
      if (table === 0) MimeTypes.#tables.set(settings.types, table = ++tableIds);
    }
    const key = JSON.stringify([
      table,
      settings.defaultType,
      settings.charset,
      settings.charsetTypes,
    ]);
    let mime = MimeTypes.#interned.get(key);
    if (mime === undefined) {
      mime = new MimeTypes(settings);
      MimeTypes.#interned.set(key, mime);
    }
    return mime;
  }

  /** The Content-Type of a file path, by its extension, compared case-insensitively. */
  typeOf(path: string): string {
    const dot = path.lastIndexOf(".");
    // The dot must belong to the last segment and not start it (".bashrc" has no extension).
    if (dot <= 0 || dot < path.lastIndexOf("/") + 2) return this.#default;
    const type = this.#table.get(path.slice(dot + 1).toLowerCase());
    return type === undefined ? this.#default : this.#label(type);
  }

  /** The default type (a `return` with text, an unknown extension). */
  get defaultType(): string {
    return this.#default;
  }

  /** Adds `; charset=…` to a type `charset` applies to (once). */
  #label(type: string): string {
    if (this.#charset === null || type.includes(";")) return type;
    if (!this.#charsetTypes.has(type) && !this.#charsetTypes.has("*")) return type;
    return `${type}; charset=${this.#charset}`;
  }
}

/** The built-in table with nginx's defaults (`default_type text/plain`, `charset off`). */
export const BUILT_IN_TYPES: MimeTypes = MimeTypes.of({
  types: null,
  defaultType: "text/plain",
  charset: null,
  charsetTypes: DEFAULT_CHARSET_TYPES,
});

/**
 * Returns the Content-Type for a file path from the built-in table ("a/B.HTML" →
 * "text/html; charset=utf-8"); unknown or missing extensions give "text/plain; charset=utf-8".
 */
export function contentType(path: string): string {
  return BUILT_IN_TYPES.typeOf(path);
}
