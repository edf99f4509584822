/**
 * The bench's `Deno.serve` baseline: a plain file server that opens and stats the file for every
 * request and streams it. Usage: `deno run -A deno_serve_files.ts <root>`; it picks a free port
 * and prints `deno_serve_files: listening on http://127.0.0.1:PORT/` on stderr.
 */
import { join } from "node:path";

const root = Deno.args[0];
if (root === undefined) {
  console.error("Usage: deno run -A deno_serve_files.ts <root>");
  Deno.exit(2);
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ hostname, port }) {
    console.error(`deno_serve_files: listening on http://${hostname}:${port}/`);
  },
}, async (req) => {
  const path = decodeURIComponent(new URL(req.url).pathname);
  // No way out of the root.
  if (path.split("/").includes("..")) return new Response("Bad Request\n", { status: 400 });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(root, path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Response("Not Found\n", { status: 404 });
    throw e;
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    return new Response("Not Found\n", { status: 404 });
  }
  return new Response(file.readable, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(info.size),
    },
  });
});
