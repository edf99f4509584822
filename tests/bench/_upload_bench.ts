/**
 * The upload part of `deno task bench`: a large body (1 GiB by default) sent by one client as fast
 * as the server takes it, to webserv (`upload_store`: PUT, and a multipart POST of the same bytes)
 * and to nginx (`dav_methods PUT` into a directory on the same disk), each server pinned to the
 * servers' CPU, the client on the other. Reported: MB/s (from the first byte sent to the answer),
 * the server's peak RSS over its RSS before, and that the stored file has the size sent.
 */
import { join } from "node:path";
import { killGroup, readRss } from "./_child.ts";
import { nginxConfig, startNginx, startWebserv } from "./_proxy_bench.ts";
import { freePort, type Started } from "./_servers.ts";

/** One upload's figures, or why it is missing. */
export interface UploadRow {
  name: string;
  mbPerSec: number | null;
  /** Peak RSS during the upload minus RSS before it, MiB. */
  rssGrowthMiB: number | null;
  note: string | null;
}

const CHUNK = 1 << 20;
const BOUNDARY = "webserv-bench-boundary";

/**
 * Sends a request head and `size` bytes of body (in 1 MiB pieces, `prefix` and `suffix` around
 * them) on a new connection; resolves with the status line once the answer's head arrived.
 */
async function send(
  port: number,
  head: string,
  size: number,
  prefix = "",
  suffix = "",
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const write = async (bytes: Uint8Array) => {
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    };
    const encoder = new TextEncoder();
    const answer = (async () => {
      const buf = new Uint8Array(4096);
      let text = "";
      while (!text.includes("\r\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      return text.split("\r\n")[0] ?? "";
    })();
    await write(encoder.encode(head));
    await write(encoder.encode(prefix));
    const chunk = new Uint8Array(CHUNK).fill(120);
    for (let left = size; left > 0; left -= CHUNK) {
      await write(left >= CHUNK ? chunk : chunk.subarray(0, left));
    }
    await write(encoder.encode(suffix));
    return await answer;
  } finally {
    conn.close();
  }
}

/** Measures one upload: MB/s, RSS growth (sampled every 100 ms), the stored size checked. */
async function measure(
  name: string,
  started: Started,
  upload: () => Promise<string>,
  stored: () => Promise<number>,
  size: number,
): Promise<UploadRow> {
  const before = (await readRss(started.child.pid))?.rssMiB ?? null;
  let peak = before ?? 0;
  const sampler = setInterval(async () => {
    const now = await readRss(started.child.pid);
    if (now !== null) peak = Math.max(peak, now.rssMiB);
  }, 100);
  const t0 = performance.now();
  try {
    const status = await upload();
    const seconds = (performance.now() - t0) / 1000;
    if (!/^HTTP\/1\.1 20[01] /.test(status)) {
      return { name, mbPerSec: null, rssGrowthMiB: null, note: `failed: answered "${status}"` };
    }
    const length = await stored();
    if (length !== size) {
      return { name, mbPerSec: null, rssGrowthMiB: null, note: `failed: stored ${length} bytes` };
    }
    return {
      name,
      mbPerSec: size / 2 ** 20 / seconds,
      rssGrowthMiB: before === null ? null : peak - before,
      note: null,
    };
  } finally {
    clearInterval(sampler);
  }
}

const fileSize = (path: string) => Deno.stat(path).then((s) => s.size, () => -1);

/** Runs webserv's PUT and multipart uploads, then nginx's PUT, of `size` bytes each. */
export async function runUploadBench(
  options: { tmp: string; pin: string[]; size: number },
): Promise<UploadRow[]> {
  const { tmp, pin, size } = options;
  const rows: UploadRow[] = [];
  const store = join(tmp, "webserv-uploads");
  const davRoot = join(tmp, "nginx-dav");
  await Deno.mkdir(join(store), { recursive: true });
  await Deno.mkdir(join(davRoot, "up"), { recursive: true });
  await Deno.writeTextFile(join(store, "probe.txt"), "probe\n");
  await Deno.writeTextFile(join(davRoot, "probe.txt"), "probe\n");
  const run = async (
    server: string,
    start: () => Promise<Started>,
    uploads: [string, (port: number) => Promise<string>, () => Promise<number>][],
  ) => {
    console.error(`bench: upload ${server}…`);
    let started: Started;
    try {
      started = await start();
    } catch (e) {
      for (const [name] of uploads) {
        rows.push({ name, mbPerSec: null, rssGrowthMiB: null, note: `failed to start: ${e}` });
      }
      return;
    }
    try {
      for (const [name, upload, stored] of uploads) {
        rows.push(await measure(name, started, () => upload(started.port), stored, size));
      }
    } finally {
      await killGroup(started.child);
    }
  };
  const put = (path: string) => (port: number) =>
    send(port, `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`, size);
  const prefix = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
    `filename="form.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const suffix = `\r\n--${BOUNDARY}--\r\n`;
  const multipart = (port: number) =>
    send(
      port,
      `POST /up/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}` +
        `\r\nContent-Length: ${prefix.length + size + suffix.length}\r\n\r\n`,
      size,
      prefix,
      suffix,
    );
  await run(
    "webserv",
    () =>
      startWebserv(
        join(tmp, "webserv-upload.conf"),
        [
          "server {",
          "  listen 127.0.0.1:0;",
          "  access_log off;",
          `  root ${store};`,
          "  location /up/ {",
          `    alias ${store}/;`,
          `    upload_store ${store};`,
          "    client_max_body_size 0;",
          "  }",
          "}",
          "",
        ].join("\n"),
        pin,
        "probe.txt",
      ),
    [
      ["webserv PUT", put("/up/put.bin"), () => fileSize(join(store, "put.bin"))],
      ["webserv multipart POST", multipart, () => fileSize(join(store, "form.bin"))],
    ],
  );
  const port = freePort();
  const prefixDir = join(tmp, "nginx-upload");
  await run(
    "nginx",
    () =>
      startNginx(
        prefixDir,
        port,
        nginxConfig({
          prefix: prefixDir,
          port,
          http: ["client_max_body_size 0;"],
          server: [
            `root ${davRoot};`,
            "location /up/ { dav_methods PUT; create_full_put_path on; }",
          ],
        }),
        pin,
        "probe.txt",
      ),
    [[
      "nginx PUT (dav_methods)",
      put("/up/put.bin"),
      () => fileSize(join(davRoot, "up", "put.bin")),
    ]],
  );
  return rows;
}

/** The table and the ratio line. */
export function formatUploadTable(rows: UploadRow[]): string {
  const lines = [
    "| upload | MB/s | RSS growth MiB | errors |",
    "|---|---:|---:|---|",
    ...rows.map((r) =>
      `| ${r.name} | ${r.mbPerSec?.toFixed(0) ?? "–"} | ${r.rssGrowthMiB?.toFixed(1) ?? "–"} | ` +
      `${r.note ?? "0"} |`
    ),
  ];
  const ours = rows.find((r) => r.name === "webserv PUT")?.mbPerSec;
  const theirs = rows.find((r) => r.name.startsWith("nginx PUT"))?.mbPerSec;
  const ratio = ours == null || theirs == null || theirs === 0
    ? "–"
    : `${(ours / theirs).toFixed(2)}×`;
  return `${lines.join("\n")}\n\nwebserv PUT/nginx PUT: ${ratio}`;
}
