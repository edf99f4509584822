/** The body of a successful upload response. */

/** A saved file as the client sees it. */
export interface UploadedFile {
  name: string;
  size: number;
  /** Its URI ("/uploads/a%20b.txt"). */
  url: string;
}

const encoder = new TextEncoder();

/**
 * Lists the saved files: `{"files":[{"name","size","url"}]}` when `accept` names
 * application/json, else a short HTML page with links.
 */
export function uploadResultBody(
  files: UploadedFile[],
  accept: string | undefined,
): { contentType: string; body: Uint8Array } {
  if (accept !== undefined && accept.toLowerCase().includes("application/json")) {
    const json = JSON.stringify({
      files: files.map(({ name, size, url }) => ({ name, size, url })),
    });
    return { contentType: "application/json", body: encoder.encode(json + "\n") };
  }
  const items = files.map((f) =>
    `<li><a href="${escapeHtml(f.url)}">${escapeHtml(f.name)}</a> (${f.size} bytes)</li>`
  );
  const html = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Uploaded</title>' +
    `</head>\n<body>\n<h1>Uploaded</h1>\n<ul>\n${items.join("\n")}\n</ul>\n</body></html>\n`;
  return { contentType: "text/html; charset=utf-8", body: encoder.encode(html) };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
