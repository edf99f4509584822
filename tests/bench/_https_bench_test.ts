/** The HTTPS bench's pure parts: the certificate it makes, and its ratios line. */
import assert from "node:assert/strict";
import { benchCertificate, formatHttpsRatios, HTTPS_RUNS } from "./_https_bench.ts";
import type { RunRow } from "./_proxy_bench.ts";
import type { WrkResult } from "./_wrk.ts";

const run = (requestsPerSec: number, mbPerSec: number): WrkResult => ({
  requestsPerSec,
  mbPerSec,
  latencyMs: new Map(),
  non2xx: 0,
  socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
});

Deno.test("formatHttpsRatios: req/s for the small file, MB/s for the large, – when missing", () => {
  const rows: RunRow[] = [
    { name: `webserv, ${HTTPS_RUNS[0].name}`, run: run(500, 1), note: null },
    { name: `nginx, ${HTTPS_RUNS[0].name}`, run: run(1000, 2), note: null },
    { name: `webserv, ${HTTPS_RUNS[2].name}`, run: run(5, 900), note: null },
    { name: `nginx, ${HTTPS_RUNS[2].name}`, run: run(6, 600), note: null },
  ];
  assert.equal(
    formatHttpsRatios(rows),
    "webserv/nginx over TLS: 1 KiB keep-alive 0.50×, 1 KiB new TLS connection each –, " +
      "100 MB 1.50× (MB/s)",
  );
});

Deno.test("benchCertificate: a P-256 certificate for 127.0.0.1 that node:tls loads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { cert, key } = await benchCertificate(dir);
    const { createSecureContext } = await import("node:tls");
    createSecureContext({ cert: await Deno.readTextFile(cert), key: await Deno.readTextFile(key) });
    const text = new TextDecoder().decode(
      (await new Deno.Command("openssl", { args: ["x509", "-in", cert, "-noout", "-text"] })
        .output()).stdout,
    );
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /prime256v1|P-256/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
