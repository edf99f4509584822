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

/** The type for files whose extension is unknown (nginx's `default_type`). */
const DEFAULT_TYPE = "application/octet-stream";

/**
 * Returns the Content-Type for a file path from its extension, compared case-insensitively
 * ("a/B.HTML" → "text/html; charset=utf-8"); unknown or missing extensions give
 * "application/octet-stream".
 */
export function contentType(path: string): string {
  const dot = path.lastIndexOf(".");
  // The dot must belong to the last segment and not start it (".bashrc" has no extension).
  if (dot <= 0 || dot < path.lastIndexOf("/") + 2) return DEFAULT_TYPE;
  return TYPES.get(path.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}
