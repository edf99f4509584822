/** Names for uploads that come without one. */
import { randomHex } from "./_random.ts";

/** Extensions for the media types commonly uploaded; anything else is ".bin". */
const EXTENSIONS: Record<string, string> = {
  "application/gzip": ".gz",
  "application/javascript": ".js",
  "application/json": ".json",
  "application/octet-stream": ".bin",
  "application/pdf": ".pdf",
  "application/xml": ".xml",
  "application/zip": ".zip",
  "audio/mpeg": ".mp3",
  "audio/ogg": ".ogg",
  "image/avif": ".avif",
  "image/gif": ".gif",
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/svg+xml": ".svg",
  "image/webp": ".webp",
  "text/css": ".css",
  "text/csv": ".csv",
  "text/html": ".html",
  "text/javascript": ".js",
  "text/markdown": ".md",
  "text/plain": ".txt",
  "text/xml": ".xml",
  "video/mp4": ".mp4",
  "video/webm": ".webm",
};

/** The extension (with its dot) for a Content-Type value ("text/plain; charset=utf-8" → ".txt"). */
export function extensionFor(contentType: string | null | undefined): string {
  const type = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  return EXTENSIONS[type] ?? ".bin";
}

/** A fresh name "upload-<milliseconds>-<random>.<ext>", the extension from the Content-Type. */
export function generatedName(contentType: string | null | undefined): string {
  return `upload-${Date.now()}-${randomHex(4)}${extensionFor(contentType)}`;
}
