/** Uploads and DELETE through the real server: forms, raw and chunked bodies, limits, failures. */
import assert from "node:assert/strict";
import { RawClient } from "./_client.ts";
import { readRss } from "../bench/_child.ts";
import { startServerProcess, startTestServer, type TestServer, withTestServer } from "./_server.ts";

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  client_body_timeout 2s;
  location /up/ {
    root site;
    allow_methods GET POST PUT DELETE;
    upload_store site/up;
    client_max_body_size 200m;
  }
  location /small/ { root site; upload_store site/small; client_max_body_size 1k; }
}
`;
const FILES = { "site/index.html": "home\n", "site/up/keep.txt": "keep\n", "site/small/x": "x" };

function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  return withTestServer(CONFIG, FILES, fn);
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("a form upload saves every file and answers 201 with the list", async () => {
  await withServer(async (s) => {
    const form = new FormData();
    form.append("file", new File(["first\r\n--not a boundary\r\n"], "one.txt"));
    form.append("file", new File([new Uint8Array(70000).fill(7)], "two.bin"));
    form.append("comment", "a field");
    const res = await fetch(`${s.base}/up/`, {
      method: "POST",
      body: form,
      headers: { Accept: "application/json" },
    });
    assert.equal(res.status, 201);
    const json = await res.json();
    assert.deepEqual(json.files.map((f: { name: string }) => f.name), ["one.txt", "two.bin"]);
    assert.equal(res.headers.get("location"), "/up/one.txt");
    assert.equal(
      await Deno.readTextFile(`${s.dir}/site/up/one.txt`),
      "first\r\n--not a boundary\r\n",
    );
    assert.equal((await Deno.stat(`${s.dir}/site/up/two.bin`)).size, 70000);
    // Uploaded files are served back, and the same name again gets a new one.
    assert.equal(
      await (await fetch(`${s.base}/up/one.txt`)).text(),
      "first\r\n--not a boundary\r\n",
    );
    const again = new FormData();
    again.append("file", new File(["second"], "one.txt"));
    const res2 = await fetch(`${s.base}/up/`, { method: "POST", body: again });
    assert.equal(res2.status, 201);
    assert.equal(res2.headers.get("location"), "/up/one-1.txt");
    await res2.body?.cancel();
    assert.equal(
      await Deno.readTextFile(`${s.dir}/site/up/one.txt`),
      "first\r\n--not a boundary\r\n",
    );
  });
});

Deno.test("raw and chunked bodies are saved under the request's name", async () => {
  await withServer(async (s) => {
    const raw = await fetch(`${s.base}/up/raw.bin`, { method: "POST", body: "raw body" });
    assert.equal(raw.status, 201);
    await raw.body?.cancel();
    assert.equal(await Deno.readTextFile(`${s.dir}/site/up/raw.bin`), "raw body");
    const c = await RawClient.connect(s.port);
    try {
      await c.send(
        "PUT /up/chunked.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n",
      );
      assert.equal((await c.read()).status, 201);
      await c.send(
        "PUT /up/chunked.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnew",
      );
      assert.equal((await c.read()).status, 204);
    } finally {
      c.close();
    }
    assert.equal(await Deno.readTextFile(`${s.dir}/site/up/chunked.txt`), "new");
  });
});

Deno.test("a 100 MB upload streams to disk in flat memory", async () => {
  // The server runs in a process of its own: other test files share this one's memory.
  const s = await startServerProcess(CONFIG, FILES);
  try {
    const size = 100 * 1024 * 1024;
    const piece = new Uint8Array(256 * 1024).fill(97);
    const before = (await readRss(s.pid))!.rssMiB;
    const c = await RawClient.connect(s.port);
    try {
      await c.send(`PUT /up/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
      for (let sent = 0; sent < size; sent += piece.length) await c.send(piece);
      assert.equal((await c.read()).status, 201);
    } finally {
      c.close();
    }
    const peak = (await readRss(s.pid))!.peakMiB;
    assert.equal((await Deno.stat(`${s.dir}/site/up/big.bin`)).size, size);
    assert.ok(peak - before < 40, `peak RSS ${peak.toFixed(1)} MiB, ${before.toFixed(1)} before`);
  } finally {
    await s.stop();
  }
});

Deno.test("a body over the limit is cut off with 413 and leaves no file", async () => {
  await withServer(async (s) => {
    const c = await RawClient.connect(s.port);
    try {
      await c.send("POST /small/f.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      await c.send(`800\r\n${"a".repeat(0x800)}\r\n`);
      const res = await c.read();
      assert.equal(res.status, 413);
      assert.equal(res.headers.get("connection"), "close");
      // The client may go on sending for a while: the server reads and drops it, then closes.
      await c.send(`800\r\n${"a".repeat(0x800)}\r\n`).catch(() => {});
      assert.ok(await c.closedByServer());
    } finally {
      c.close();
    }
    assert.deepEqual(await names(`${s.dir}/site/small`), ["x"]);
  });
});

Deno.test("a client that disconnects mid-upload leaves no file and the server serves on", async () => {
  await withServer(async (s) => {
    const c = await RawClient.connect(s.port);
    await c.send("POST /up/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    await c.send(new Uint8Array(300000));
    c.close();
    // The server notices the reset, removes its temp file; meanwhile it keeps answering.
    const res = await fetch(`${s.base}/`);
    assert.equal(await res.text(), "home\n");
    for (let i = 0; i < 100; i++) {
      if ((await names(`${s.dir}/site/up`)).length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await names(`${s.dir}/site/up`), ["keep.txt"]);
  });
});

Deno.test("DELETE removes a file and answers 204, 404, 403 and 405 as it should", async () => {
  await withServer(async (s) => {
    await Deno.mkdir(`${s.dir}/site/up/dir`);
    const del = (path: string) => fetch(`${s.base}${path}`, { method: "DELETE" });
    const ok = await del("/up/keep.txt");
    assert.equal(ok.status, 204);
    await assert.rejects(Deno.stat(`${s.dir}/site/up/keep.txt`), Deno.errors.NotFound);
    const missing = await del("/up/keep.txt");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const dir = await del("/up/dir");
    assert.equal(dir.status, 403);
    await dir.body?.cancel();
    const notAllowed = await del("/index.html");
    assert.equal(notAllowed.status, 405);
    await notAllowed.body?.cancel();
    assert.ok((await Deno.stat(`${s.dir}/site/index.html`)).isFile);
  });
});

/** Mounts a 256 KiB tmpfs on a new directory (needs root). */
async function tinyDisk(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-tinyfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir],
  }).output();
  assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
  return dir;
}

const ROOT = Deno.uid() === 0;

Deno.test({
  name: `a full disk answers 507 and leaves nothing half-written${
    ROOT ? "" : " (skipped: mounting a small tmpfs needs root)"
  }`,
  ignore: !ROOT,
  async fn() {
    const disk = await tinyDisk();
    try {
      await Deno.writeTextFile(`${disk}/old.txt`, "old\n");
      const s = await startTestServer(
        `access_log off;
         server { listen 127.0.0.1:0; root site;
           location /full/ { upload_store ${disk}; client_max_body_size 10m; } }`,
        FILES,
      );
      try {
        const big = new Uint8Array(1024 * 1024).fill(1);
        const put = await fetch(`${s.base}/full/old.txt`, { method: "PUT", body: big });
        assert.equal(put.status, 507);
        await put.body?.cancel();
        const form = new FormData();
        form.append("file", new File([big], "new.bin"));
        const post = await fetch(`${s.base}/full/`, { method: "POST", body: form });
        assert.equal(post.status, 507);
        await post.body?.cancel();
      } finally {
        await s.close();
      }
      assert.deepEqual(await names(disk), ["old.txt"]);
      assert.equal(await Deno.readTextFile(`${disk}/old.txt`), "old\n");
    } finally {
      await new Deno.Command("umount", { args: [disk] }).output();
      await Deno.remove(disk);
    }
  },
});

Deno.test("a GET right after an upload, a PUT or a DELETE sees the change (no stale cache)", async () => {
  await withServer(async (s) => {
    const text = async (path: string) => {
      const res = await fetch(`${s.base}${path}`);
      return `${res.status} ${await res.text()}`;
    };
    // Cached as missing, then uploaded.
    assert.match(await text("/up/n.txt"), /^404 /);
    const form = new FormData();
    form.append("file", new File(["new\n"], "n.txt"));
    (await fetch(`${s.base}/up/`, { method: "POST", body: form })).body?.cancel();
    assert.equal(await text("/up/n.txt"), "200 new\n");
    // Cached with its content, then replaced.
    await fetch(`${s.base}/up/n.txt`, { method: "PUT", body: "replaced\n" });
    assert.equal(await text("/up/n.txt"), "200 replaced\n");
    // Cached, then deleted.
    (await fetch(`${s.base}/up/n.txt`, { method: "DELETE" })).body?.cancel();
    assert.match(await text("/up/n.txt"), /^404 /);
  });
});
