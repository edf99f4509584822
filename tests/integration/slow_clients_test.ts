/**
 * Slow and vanishing clients: slowloris heads, stalled bodies, clients that never read, half-closed
 * sockets and resets mid-request and mid-response. While each runs, a normal client keeps asking
 * for a page and must keep getting 200s.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { RawClient } from "./_client.ts";
import {
  serverProblems,
  startTestServer,
  stopAndReadErrorLog,
  type TestServer,
} from "./_server.ts";

const TESTDATA = join(import.meta.dirname!, "..", "testdata", "cgi");
const TIMEOUT_MS = 1000;
/** How long a test waits for the server to notice a timeout: the timeout, the sweep, slack. */
const NOTICE_MS = TIMEOUT_MS + 1500;
const BIG = 32 * 1024 * 1024;
const MID = 2 * 1024 * 1024;

const CONFIG = `
access_log off;
error_log error.log info;
server {
  listen 127.0.0.1:0;
  root site;
  client_header_timeout 1s;
  client_body_timeout 1s;
  send_timeout 1s;
  location /up/ { upload_store up; client_max_body_size 10m; }
  location /cgi/ { alias ${TESTDATA}/; cgi .py /usr/bin/python3; }
}
`;

/** A file of `size` bytes, every byte its offset mod 251 (a prime, so shifts show). */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 251;
  return out;
}

const FILES = {
  "site/index.html": "home\n",
  "site/big.bin": pattern(BIG),
  "site/mid.bin": pattern(MID),
  "up/README.txt": "uploads\n",
};

const GET = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";

/** A normal client asking for /index.html in a loop on a keep-alive connection, until stopped. */
function normalClient(port: number): { stop(): Promise<number> } {
  let running = true;
  let served = 0;
  const loop = (async () => {
    let client = await RawClient.connect(port);
    try {
      while (running) {
        await client.send(GET);
        const res = await client.read();
        assert.equal(res.status, 200);
        assert.equal(res.text, "home\n");
        served++;
        // keepalive_requests ends a connection now and then: open the next one.
        if (res.headers.get("connection") === "close") {
          client.close();
          client = await RawClient.connect(port);
        }
      }
    } finally {
      client.close();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return served;
    },
  };
}

/** Starts the server and a normal client; checks the client was served all along. */
/**
 * Runs `fn` while a normal client is served, then checks that it was, and that the server logged
 * no problem of its own (slow and vanishing clients are the clients' business).
 */
async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startTestServer(CONFIG, FILES);
  const normal = normalClient(s.port);
  let logged: string[];
  try {
    await fn(s);
  } finally {
    const served = await normal.stop().finally(async () => {
      logged = await stopAndReadErrorLog(s);
      await s.close();
    });
    assert.ok(served > 0, "the normal client was never served");
  }
  assert.deepEqual(serverProblems(logged!), []);
}

/** Resolves after `ms` (only for pacing a slow client, never to wait for the server). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The status of one request on a new connection, or null when it takes longer than `ms`. */
async function statusWithin(port: number, request: string, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  let client: RawClient | null = null;
  const answer = (async () => {
    client = await RawClient.connect(port);
    await client.send(request);
    return (await client.read()).status;
  })();
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
    (client as RawClient | null)?.close();
    await answer.catch(() => {});
  }
}

/** Reads a response and the end of the stream, or gives up after `ms` (then null). */
async function responseAndClose(client: RawClient, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  const answer = (async () => {
    const res = await client.read();
    await client.closedByServer();
    return res.status;
  })();
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
    // Unblocks the read when it lost the race.
    client.close();
    await answer.catch(() => {});
  }
}

/** Connects with node:net, sends `data`, waits for `bytesFirst` response bytes, then resets (RST). */
function resetAfter(port: number, data: string, bytesFirst: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = 0;
    const reset = () => socket.resetAndDestroy();
    socket.on("connect", () => socket.write(data, () => bytesFirst === 0 && reset()));
    socket.on("data", (chunk: Uint8Array) => {
      received += chunk.length;
      if (bytesFirst > 0 && received >= bytesFirst) reset();
    });
    socket.on("close", () => resolve());
    socket.on("error", (e: Error & { code?: string }) => {
      if (e.code !== "ECONNRESET") reject(e);
    });
  });
}

Deno.test("slowloris: a head sent one byte per 200 ms gets 408 and is closed", async () => {
  await withServer(async ({ port }) => {
    const client = await RawClient.connect(port);
    client.noDelay();
    const started = Date.now();
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(1000)}`;
    let answered = false;
    const pacing = (async () => {
      for (let i = 0; i < head.length && !answered && Date.now() - started < 4 * TIMEOUT_MS; i++) {
        await client.send(head[i]!);
        await pause(200);
      }
    })().catch(() => {});
    const status = await responseAndClose(client, 4 * TIMEOUT_MS);
    answered = true;
    await pacing;
    assert.equal(status, 408, "the slow head was not cut off within 4 × client_header_timeout");
  });
});

Deno.test("slow body: a body that stops arriving gets 408 and is closed", async () => {
  await withServer(async ({ port }) => {
    const client = await RawClient.connect(port);
    await client.send(
      "PUT /up/slow.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
    );
    assert.equal(await responseAndClose(client, NOTICE_MS + TIMEOUT_MS), 408);
  });
});

Deno.test("a client that never reads a large file is closed after send_timeout; others are served", async () => {
  await withServer(async ({ port }) => {
    const stalled = await RawClient.connect(port);
    try {
      await stalled.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
      // Nothing tells the client the server gave up until it reads: give the server the time.
      await pause(NOTICE_MS);
      const received = await drain(stalled);
      assert.ok(received < BIG, `the whole file arrived (${received} bytes): never timed out`);
    } finally {
      stalled.close();
    }
  });
});

Deno.test("a client that never reads a huge CGI response is closed, the script killed, memory bounded", async () => {
  await withServer(async ({ port }) => {
    // This isolate's heap and buffers, not the process's RSS: other test files run in the same
    // process (--parallel) and their memory must not count here.
    const used = () => {
      const { heapUsed, external } = Deno.memoryUsage();
      return heapUsed + external;
    };
    const before = used();
    const stalled = await RawClient.connect(port);
    try {
      // 512 MiB of output: buffering it instead of waiting for the client would show.
      await stalled.send("GET /cgi/big.py?512 HTTP/1.1\r\nHost: x\r\n\r\n");
      await pause(NOTICE_MS);
      const grown = (used() - before) / 2 ** 20;
      const received = await drain(stalled);
      assert.ok(received < 512 * 2 ** 20, `the whole output arrived: never timed out`);
      assert.ok(
        grown < 128,
        `memory grew by ${grown.toFixed(0)} MiB while the client did not read`,
      );
      // The script goes with its client (bounded polling of process state).
      for (let i = 0; i < 40 && (await scripts("big.py")) > 0; i++) await pause(50);
      assert.equal(await scripts("big.py"), 0, "the CGI script outlived its client");
    } finally {
      stalled.close();
    }
  });
});

/** How many child processes of this process have `name` in their command line. */
async function scripts(name: string): Promise<number> {
  let count = 0;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== Deno.pid) continue;
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(name)) count++;
    } catch {
      // The process ended meanwhile.
    }
  }
  return count;
}

/** Reads to the end of the stream; the number of bytes. */
async function drain(client: RawClient): Promise<number> {
  const buf = new Uint8Array(1 << 20);
  let total = 0;
  for (;;) {
    let n: number | null;
    try {
      n = await client.conn.read(buf);
    } catch (e) {
      if (e instanceof Deno.errors.ConnectionReset) break;
      throw e;
    }
    if (n === null) break;
    total += n;
  }
  return total;
}

Deno.test("half-closed socket: requests sent before shutdown(SHUT_WR) are all answered", async () => {
  await withServer(async ({ port }) => {
    const client = await RawClient.connect(port);
    try {
      await client.send(`${GET}GET /mid.bin HTTP/1.1\r\nHost: x\r\n\r\n`);
      await client.conn.closeWrite();
      assert.equal((await client.read()).text, "home\n");
      const mid = await client.read();
      assert.equal(mid.status, 200);
      assert.deepEqual(mid.body, pattern(MID));
      assert.ok(await client.closedByServer());
    } finally {
      client.close();
    }
  });
});

Deno.test("resets mid-request and mid-response leave the server serving", async () => {
  await withServer(async ({ port }) => {
    await Promise.all([
      // Mid-head, mid-body (file upload, CGI), and mid-response (file, CGI).
      ...Array.from({ length: 5 }, () => resetAfter(port, "GET / HTTP/1.1\r\nHost: x\r\nX-", 0)),
      ...Array.from(
        { length: 5 },
        () =>
          resetAfter(
            port,
            "PUT /up/r.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab",
            0,
          ),
      ),
      ...Array.from({ length: 5 }, () =>
        resetAfter(
          port,
          "POST /cgi/echo.py HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab",
          0,
        )),
      ...Array.from(
        { length: 5 },
        () => resetAfter(port, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", 65536),
      ),
      ...Array.from(
        { length: 5 },
        () => resetAfter(port, "GET /cgi/big.py?64 HTTP/1.1\r\nHost: x\r\n\r\n", 65536),
      ),
    ]);
    const client = await RawClient.connect(port);
    try {
      await client.send(GET);
      assert.equal((await client.read()).status, 200);
    } finally {
      client.close();
    }
  });
});

Deno.test("a client that stops its body once a script's answer has begun is not a server problem", async () => {
  await withServer(async ({ port }) => {
    const client = await RawClient.connect(port);
    try {
      // echo.py sends its head before it reads: the answer is under way when the body stops short.
      await client.send("POST /cgi/echo.py HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab");
      assert.equal((await client.read({ head: true })).status, 200);
      await client.conn.closeWrite();
      assert.ok(await client.closedByServer(5000), "the server kept the connection open");
    } finally {
      client.close();
    }
  });
});

Deno.test("a burst of connections reset before they are accepted costs nothing afterwards", async () => {
  await withServer(async ({ port }) => {
    // 3 s of connect + RST from another process: many reach accept() already reset.
    const burst = await new Deno.Command("python3", {
      args: [join(TESTDATA, "..", "reset_burst.py"), String(port), "3"],
      stdout: "piped",
    }).output();
    assert.ok(burst.success);
    assert.ok(Number(new TextDecoder().decode(burst.stdout)) > 100, "the burst was too small");
    // Right after it, a new client is answered at once (it used to wait 50 ms per reset).
    const started = Date.now();
    assert.equal(await statusWithin(port, GET, 2000), 200);
    assert.ok(Date.now() - started < 2000);
  });
});
