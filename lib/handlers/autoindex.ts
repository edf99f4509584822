/** The HTML directory listing (nginx `autoindex on`). */
import { SERVER_NAME } from "../version.ts";
import { encodeSegment } from "../http/uri_encode.ts";
import { fsErrorStatus } from "../files/fs_errors.ts";

interface Item {
  name: string;
  isDirectory: boolean;
  size: number;
  mtime: Date | null;
}

const STYLE = "body{font:15px/1.5 system-ui,sans-serif;color:#222;max-width:60em;margin:2em auto;" +
  "padding:0 1em}h1{font-size:1.3em;font-weight:600;word-break:break-all}" +
  "table{border-collapse:collapse;width:100%}th,td{padding:.25em .75em;text-align:left}" +
  "th{border-bottom:1px solid #ccc;font-weight:600}td{border-bottom:1px solid #eee}" +
  "td+td{white-space:nowrap;color:#555;font-variant-numeric:tabular-nums}" +
  ".r{text-align:right}a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}" +
  "footer{color:#888;font-size:.85em;margin-top:1em}";

const encoder = new TextEncoder();

/**
 * Renders the listing of `dir` for the URL path `urlPath` (decoded, ending in "/"): a "../" link
 * except at "/", then directories and then files, each group sorted by name, with sizes and
 * modification times. Names starting with "." are left out, as nginx does (this also hides
 * uploads in progress). Throws the Deno error of `readDir`.
 */
export async function renderAutoindex(urlPath: string, dir: string): Promise<Uint8Array> {
  const base = dir.endsWith("/") ? dir : dir + "/";
  const pending: Promise<Item>[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    pending.push(describe(base + entry.name, entry.name));
  }
  const items = await Promise.all(pending);
  // Directories first, then files; names by code point, like nginx's strcmp.
  items.sort((a, b) =>
    a.isDirectory !== b.isDirectory
      ? (a.isDirectory ? -1 : 1)
      : (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  const title = `Index of ${escapeHtml(urlPath)}`;
  let rows = "";
  if (urlPath !== "/") {
    rows += `<tr><td><a href="../">../</a></td><td></td><td class="r">-</td></tr>\n`;
  }
  for (const item of items) {
    const suffix = item.isDirectory ? "/" : "";
    const href = escapeHtml(encodeSegment(item.name) + suffix);
    const size = item.isDirectory
      ? "-"
      : `<span title="${item.size} bytes">${humanSize(item.size)}</span>`;
    rows += `<tr><td><a href="${href}">${escapeHtml(item.name + suffix)}</a></td>` +
      `<td>${formatDate(item.mtime)}</td><td class="r">${size}</td></tr>\n`;
  }
  const html = `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<h1>${title}</h1>\n` +
    `<table>\n<thead><tr><th>Name</th><th>Last modified</th><th class="r">Size</th></tr></thead>\n` +
    `<tbody>\n${rows}</tbody>\n</table>\n<footer>${SERVER_NAME}</footer>\n</body>\n</html>\n`;
  return encoder.encode(html);
}

/** Stats one entry, following symlinks; a broken link is described by the link itself. */
async function describe(path: string, name: string): Promise<Item> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (fsErrorStatus(e) === null) throw e;
    try {
      info = await Deno.lstat(path);
    } catch (e) {
      if (fsErrorStatus(e) === null) throw e;
      // Gone between readDir and stat: list it without details.
      return { name, isDirectory: false, size: 0, mtime: null };
    }
  }
  return { name, isDirectory: info.isDirectory, size: info.size, mtime: info.mtime };
}

/** "2024-11-08 10:04" in UTC, or "-" without a date. */
function formatDate(date: Date | null): string {
  if (date === null) return "-";
  return date.toISOString().slice(0, 16).replace("T", " ");
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes below 1 KiB exactly ("512 B"), larger sizes with one decimal ("1.5 KiB"). */
function humanSize(size: number): string {
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${size} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
