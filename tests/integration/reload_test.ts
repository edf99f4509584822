/** Reloading the configuration (SIGHUP) without dropping connections. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../lib/config/load.ts";
import { RawClient } from "./_client.ts";
import { startTestServer } from "./_server.ts";

const FILES = {
  "a/index.html": "site a\n",
  "b/index.html": "site b\n",
  "up/README.txt": "uploads\n",
};
const CONFIG_A = `access_log off;
server { listen 127.0.0.1:0; root a; location /up/ { upload_store up; } }`;

Deno.test("reload serves new connections with the new config and lets old ones finish", async () => {
  const s = await startTestServer(CONFIG_A, FILES);
  const old = await RawClient.connect(s.port);
  try {
    await old.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await old.read()).text, "site a\n");
    // A request in progress when the reload happens: "100 Continue" shows the handler reads it.
    await old.send(
      "PUT /up/f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
    );
    assert.equal((await old.read()).status, 100);
    const port = s.port;
    const configB = `access_log off;
      server { listen 127.0.0.1:${port}; root b; }
      server { listen 127.0.0.2:0; root a; }`;
    const reloaded = s.server.reload(parseConfig(configB, join(s.dir, "test.conf")));
    // The same address keeps its socket: a new connection is served with the new config.
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "site b\n");
    // The old request finishes under the old config, then its connection is closed.
    await old.send("abc");
    const done = await old.read();
    assert.equal(done.status, 201);
    assert.equal(done.headers.get("connection"), "close");
    assert.ok(await old.closedByServer());
    await reloaded;
    assert.equal(await Deno.readTextFile(join(s.dir, "up", "f.txt")), "abc");
    // The new address is bound too.
    assert.equal(s.server.addrs.length, 2);
    const added = s.server.addrs[1]!;
    assert.equal(await (await fetch(`http://127.0.0.2:${added.port}/`)).text(), "site a\n");
  } finally {
    old.close();
    await s.close();
  }
});

Deno.test("a reload that cannot bind a new address keeps the old config", async () => {
  const s = await startTestServer(CONFIG_A, FILES);
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const taken = blocker.addr.port;
    const bad = parseConfig(
      `server { listen 127.0.0.1:${s.port}; root b; }\nserver { listen 127.0.0.1:${taken}; root b; }`,
      join(s.dir, "test.conf"),
    );
    await assert.rejects(s.server.reload(bad), {
      message: `cannot listen on 127.0.0.1:${taken}: address already in use`,
    });
    assert.equal(await (await fetch(`${s.base}/`)).text(), "site a\n");
  } finally {
    blocker.close();
    await s.close();
  }
});

Deno.test("a connection aborted by the reload grace while its script starts releases the script", async () => {
  const cgi = join(import.meta.dirname!, "..", "testdata", "cgi");
  const config = `access_log off;
server { listen 127.0.0.1:0; location /cgi/ { alias ${cgi}/; cgi .py /usr/bin/python3; } }`;
  const s = await startTestServer(config, {}, { limits: { shutdownGraceMs: 100 } });
  const pidFile = join(s.dir, "pid");
  const client = await RawClient.connect(s.port);
  let pid = 0;
  try {
    // 20 KB of a pipelined request fill the read buffer: the server cannot watch the client.
    await client.send(
      `GET /cgi/late.py?${pidFile} HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\n${
        "X".repeat(20_000)
      }`,
    );
    // The script has started when its pid is written (a file appearing: polled, bounded).
    for (let i = 0; i < 100 && pid === 0; i++) {
      pid = Number(await Deno.readTextFile(pidFile).catch(() => "0"));
      if (pid === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(pid > 0, "the script never started");
    // The old configuration aborts the connection after 100 ms of grace, while the script has
    // not answered yet; once it answers, its output has nowhere to go and it must be killed, or
    // the reload (which waits for the old configuration's scripts) would wait its 30 s.
    const started = Date.now();
    const reloaded = s.server.reload(parseConfig(config, join(s.dir, "test.conf")));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), 10_000)
    );
    const outcome = await Promise.race([reloaded.then(() => "done" as const), late]);
    clearTimeout(timer);
    assert.equal(outcome, "done", "the reload waited for a script whose client was gone");
    assert.ok(Date.now() - started < 10_000);
    assert.equal(await alive(pid), false);
  } finally {
    client.close();
    if (pid > 0 && await alive(pid)) Deno.kill(pid, "SIGKILL");
    await s.close();
  }
});

/** Whether a process exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
