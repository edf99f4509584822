/** The HTML directory listing (nginx `autoindex on`). */
import { SERVER_NAME } from "../version.ts";
import { encodeSegment } from "../http/uri_encode.ts";
import { fsErrorStatus } from "../files/fs_errors.ts";
import type { StreamBody } from "../http/response.ts";

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

/** Past this many entries the listing is streamed as its rows are ready, not built whole. */
const STREAM_FROM = 256;
/** Entries stat-ed ahead of the row being written (the rest wait their turn). */
const STAT_AHEAD = 128;
/** Rows per chunk of a streamed listing. */
const ROWS_PER_CHUNK = 512;

/**
 * Renders the listing of `dir` for the URL path `urlPath` (decoded, ending in "/"): a "../" link
 * except at "/", then directories and then files, each group sorted by name, with sizes and
 * modification times. Names starting with "." are left out, as nginx does (this also hides
 * uploads in progress). Throws the Deno error of `readDir` (before anything is sent).
 *
 * A large directory is streamed: its entries are read and sorted first (directories are known
 * from the listing, a symbolic link is stat-ed to know what it points to), then each row is
 * written once its entry is stat-ed, a few ahead, so the first rows leave before the last
 * entries are looked at and memory holds a window of them, not every row.
 */
export async function renderAutoindex(
  urlPath: string,
  dir: string,
): Promise<Uint8Array | StreamBody> {
  const base = dir.endsWith("/") ? dir : dir + "/";
  const entries: { name: string; isDirectory: boolean }[] = [];
  const links: Promise<void>[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    const listed = { name: entry.name, isDirectory: entry.isDirectory };
    entries.push(listed);
    if (entry.isSymlink) {
      links.push(
        describe(base + entry.name, entry.name).then((i) => {
          listed.isDirectory = i.isDirectory;
        }),
      );
    }
  }
  await Promise.all(links);
  // Directories first, then files; names by code point, like nginx's strcmp.
  entries.sort((a, b) =>
    a.isDirectory !== b.isDirectory
      ? (a.isDirectory ? -1 : 1)
      : (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  const title = `Index of ${escapeHtml(urlPath)}`;
  const head = `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<h1>${title}</h1>\n` +
    `<table>\n<thead><tr><th>Name</th><th>Last modified</th><th class="r">Size</th></tr></thead>\n` +
    `<tbody>\n` +
    (urlPath === "/"
      ? ""
      : `<tr><td><a href="../">../</a></td><td></td><td class="r">-</td></tr>\n`);
  const foot = `</tbody>\n</table>\n<footer>${SERVER_NAME}</footer>\n</body>\n</html>\n`;
  const describeAt = (i: number) => describe(base + entries[i]!.name, entries[i]!.name);
  if (entries.length <= STREAM_FROM) {
    const items = await Promise.all(entries.map((_, i) => describeAt(i)));
    return encoder.encode(head + items.map(row).join("") + foot);
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield encoder.encode(head);
    const ahead: Promise<Item>[] = [];
    let rows = "";
    for (let i = 0; i < entries.length; i++) {
      while (ahead.length < STAT_AHEAD && i + ahead.length < entries.length) {
        ahead.push(describeAt(i + ahead.length));
      }
      rows += row(await ahead.shift()!);
      if ((i + 1) % ROWS_PER_CHUNK === 0) {
        yield encoder.encode(rows);
        rows = "";
      }
    }
    yield encoder.encode(rows + foot);
  }
  return { kind: "stream", chunks: chunks() };
}

/** One entry's row of the table. */
function row(item: Item): string {
  const suffix = item.isDirectory ? "/" : "";
  const href = escapeHtml(encodeSegment(item.name) + suffix);
  const size = item.isDirectory
    ? "-"
    : `<span title="${item.size} bytes">${humanSize(item.size)}</span>`;
  return `<tr><td><a href="${href}">${escapeHtml(item.name + suffix)}</a></td>` +
    `<td>${formatDate(item.mtime)}</td><td class="r">${size}</td></tr>\n`;
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
