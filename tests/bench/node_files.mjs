/**
 * The bench's Node baseline: `node:http` serving files with a stat and `fs.createReadStream` per
 * request. Usage: `node node_files.mjs <root>`; it picks a free port and prints
 * `node_files: listening on http://127.0.0.1:PORT/` on stderr.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream";
import process from "node:process";

const root = process.argv[2];
if (root === undefined) {
  console.error("Usage: node node_files.mjs <root>");
  process.exit(2);
}

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  // No way out of the root.
  if (path.split("/").includes("..")) {
    res.writeHead(400).end("Bad Request\n");
    return;
  }
  const full = join(root, path);
  let info;
  try {
    info = await stat(full);
  } catch {
    res.writeHead(404).end("Not Found\n");
    return;
  }
  if (!info.isFile()) {
    res.writeHead(404).end("Not Found\n");
    return;
  }
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": String(info.size),
  });
  pipeline(createReadStream(full), res, () => {});
});

server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  console.error(`node_files: listening on http://127.0.0.1:${port}/`);
});
