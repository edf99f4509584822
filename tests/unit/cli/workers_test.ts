/** worker_processes' pure parts: how many workers, and the ports they are told. */
import assert from "node:assert/strict";
import { applyWorkerPorts, workerCount } from "../../../lib/cli/workers.ts";
import { parseConfig } from "../../../lib/config/load.ts";

Deno.test("workerCount: a number, auto = the cores, one with a notice off Linux", () => {
  assert.deepEqual(workerCount(3, "linux", 8), { count: 3, notice: null });
  assert.deepEqual(workerCount("auto", "linux", 8), { count: 8, notice: null });
  assert.deepEqual(workerCount(1, "darwin", 8), { count: 1, notice: null });
  const off = workerCount("auto", "darwin", 8);
  assert.equal(off.count, 1);
  assert.match(off.notice ?? "", /"worker_processes auto" needs Linux/);
});

Deno.test("applyWorkerPorts: port 0 of an address becomes the supervisor's port", () => {
  const config = parseConfig(
    "server { listen 127.0.0.1:0; listen 127.0.0.2:0 ssl; ssl_certificate a; ssl_certificate_key b; }\n" +
      "server { listen 127.0.0.1:0; listen 127.0.0.1:8080; }",
    "/etc/webserv/x.conf",
  );
  const applied = applyWorkerPorts(
    config,
    JSON.stringify({ "127.0.0.1:0": 4000, "127.0.0.2:0": 4001 }),
  );
  assert.deepEqual(applied.servers.map((s) => s.listen.map((l) => `${l.host}:${l.port}`)), [
    ["127.0.0.1:4000", "127.0.0.2:4001"],
    ["127.0.0.1:4000", "127.0.0.1:8080"],
  ]);
  // Not a worker: unchanged.
  assert.equal(applyWorkerPorts(config, undefined), config);
});

Deno.test("worker_processes with in-memory sessions: -t warns, per server", async () => {
  const said = async (text: string) => {
    const config = parseConfig(text, "/etc/webserv/x.conf");
    const lines: string[] = [];
    for (const check of config.checks) {
      const message = check.severity === "warning" ? await check.run() : null;
      if (message?.includes("worker_processes")) lines.push(`${check.pos.line}: ${message}`);
    }
    return lines;
  };
  const warned = await said(
    "worker_processes 2;\n" +
      "server { location / { session on; } }\n" +
      "server { session_store /var/lib/s; location / { session on; } }\n" +
      "server { }",
  );
  assert.equal(warned.length, 1);
  assert.match(warned[0]!, /^2: "worker_processes 2" with sessions in memory/);
  assert.deepEqual(await said("server { location / { session on; } }"), []);
});
