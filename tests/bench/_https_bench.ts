/**
 * The HTTPS part of `deno task bench`: webserv and nginx serving the same files over TLS with the
 * same certificate (a P-256 leaf for 127.0.0.1 made by openssl), each pinned to the servers'
 * CPU, wrk on the other. Three runs each: the 1 KiB file over keep-alive connections, the 1 KiB
 * file with `Connection: close` (a new TLS handshake per request), and the 100 MB file (MB/s).
 * Each server also listens in plain HTTP, only to be probed for readiness; the TLS port is
 * probed with a real handshake before wrk runs.
 */
import { join } from "node:path";
import tls from "node:tls";
import { runWrkWithHeaders } from "./_gzip_bench.ts";
import { killGroup } from "./_child.ts";
import { nginxConfig, type RunRow, startNginx, startWebserv, WARM_UP_SEC } from "./_proxy_bench.ts";
import { freePort, type Started } from "./_servers.ts";

/** How the HTTPS bench runs. */
export interface HttpsBenchOptions {
  tmp: string;
  /** The directory with the files. */
  www: string;
  small: string;
  large: string;
  pin: string[];
  cpu: string | null;
  durationSec: number;
}

/** The three runs of each server: row-name suffix, file, connections, request fields. */
export const HTTPS_RUNS = [
  { name: "1 KiB keep-alive", file: "small", connections: 50, close: false },
  { name: "1 KiB new TLS connection each", file: "small", connections: 50, close: true },
  { name: "100 MB", file: "large", connections: 4, close: false },
] as const;

/** A self-signed certificate for 127.0.0.1 and localhost: the paths of its PEM files. */
export async function benchCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "bench.crt");
  const key = join(dir, "bench.key");
  const out = await new Deno.Command("openssl", {
    args: [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl: ${new TextDecoder().decode(out.stderr)}`);
  return { cert, key };
}

/** One TLS handshake and GET of `path`: resolves with the status line, within 5 s. */
export function tlsProbe(port: number, path: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" });
    socket.setTimeout(5000, () => socket.destroy(new Error("TLS probe timed out")));
    let text = "";
    socket.on("secureConnect", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (chunk: Uint8Array) => {
      if (text.length < 64) text += new TextDecoder().decode(chunk);
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text.split("\r\n")[0] ?? ""));
  });
}

/** Runs each server's three runs; rows are named "<server> <run>". */
export async function runHttpsBench(options: HttpsBenchOptions): Promise<RunRow[]> {
  const pair = await benchCertificate(options.tmp);
  const ca = await Deno.readTextFile(pair.cert);
  const tlsPorts = { webserv: freePort(), nginx: freePort() };
  const sslLines = [`ssl_certificate ${pair.cert};`, `ssl_certificate_key ${pair.key};`];
  const starters: Record<"webserv" | "nginx", () => Promise<Started>> = {
    webserv: () =>
      startWebserv(
        join(options.tmp, "webserv-https.conf"),
        [
          "server {",
          "  listen 127.0.0.1:0;",
          `  listen 127.0.0.1:${tlsPorts.webserv} ssl;`,
          `  root ${options.www};`,
          "  access_log off;",
          ...sslLines.map((l) => `  ${l}`),
          "}",
          "",
        ].join("\n"),
        options.pin,
        options.small,
      ),
    nginx: () => {
      const prefix = join(options.tmp, "nginx-https");
      const port = freePort();
      const config = nginxConfig({
        prefix,
        port,
        http: ["sendfile on;", "tcp_nopush on;"],
        server: [`listen 127.0.0.1:${tlsPorts.nginx} ssl;`, `root ${options.www};`, ...sslLines],
      });
      return startNginx(prefix, port, config, options.pin, options.small);
    },
  };
  const rows: RunRow[] = [];
  for (const server of ["webserv", "nginx"] as const) {
    const serverRows = HTTPS_RUNS.map((r): RunRow => ({
      name: `${server}, ${r.name}`,
      run: null,
      note: null,
    }));
    rows.push(...serverRows);
    console.error(`bench: https ${server}…`);
    let started: Started;
    try {
      started = await starters[server]();
    } catch (e) {
      for (const row of serverRows) row.note = `failed to start: ${(e as Error).message}`;
      continue;
    }
    try {
      const port = tlsPorts[server];
      const status = await tlsProbe(port, `/${options.small}`, ca);
      if (!status.startsWith("HTTP/1.1 200")) throw new Error(`TLS probe answered "${status}"`);
      for (const [i, run] of HTTPS_RUNS.entries()) {
        const url = `https://127.0.0.1:${port}/${
          run.file === "small" ? options.small : options.large
        }`;
        const headers: Record<string, string> = run.close ? { Connection: "close" } : {};
        try {
          await runWrkWithHeaders(url, run.connections, WARM_UP_SEC, headers, options.cpu);
          serverRows[i]!.run = await runWrkWithHeaders(
            url,
            run.connections,
            options.durationSec,
            headers,
            options.cpu,
          );
          serverRows[i]!.detail = serverRows[i]!.run!.mbPerSec.toFixed(0);
        } catch (e) {
          serverRows[i]!.note = `failed: ${(e as Error).message}`;
        }
      }
    } catch (e) {
      for (const row of serverRows) row.note ??= `failed: ${(e as Error).message}`;
      const log = (await started.log()).trim();
      if (log !== "") console.error(`bench: https ${server} logged:\n${log}`);
    } finally {
      await killGroup(started.child);
    }
  }
  return rows;
}

/** "webserv/nginx: 1 KiB keep-alive 0.40×, …, 100 MB 0.90× (MB/s)". */
export function formatHttpsRatios(rows: RunRow[]): string {
  const parts = HTTPS_RUNS.map((run) => {
    const a = rows.find((r) => r.name === `webserv, ${run.name}`)?.run;
    const b = rows.find((r) => r.name === `nginx, ${run.name}`)?.run;
    const [x, y] = run.file === "large"
      ? [a?.mbPerSec, b?.mbPerSec]
      : [a?.requestsPerSec, b?.requestsPerSec];
    const ratio = x === undefined || y === undefined || y === 0 ? "–" : `${(x / y).toFixed(2)}×`;
    return `${run.name} ${ratio}${run.file === "large" ? " (MB/s)" : ""}`;
  });
  return `webserv/nginx over TLS: ${parts.join(", ")}`;
}
