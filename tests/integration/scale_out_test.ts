/**
 * Scale-out, proven: two webserv processes share their sessions through a real redis-server, with
 * a real HAProxy in front of them as a round-robin load balancer, all on loopback. A visit counter
 * kept in the session stays right whichever instance answers, also for requests sent at once
 * (the session lock holds across instances), when one instance is stopped mid-run, and after a
 * logout. Then Redis goes away: the answer is a 503 and an error-log line, and the server lives.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isInstalled } from "../bench/_child.ts";
import { REDIS_MISSING, redisInstalled, startRedis, type TestRedis } from "../_redis.ts";
import { type ServerProcess, startServerProcess } from "./_server.ts";

const HAPROXY = "haproxy";
const PYTHON = "/usr/bin/python3";
const haproxyInstalled = await isInstalled(HAPROXY);
const pythonInstalled = await isInstalled(PYTHON);
const MISSING = [
  redisInstalled ? null : REDIS_MISSING,
  haproxyInstalled ? null : `skipped: "${HAPROXY}" is not installed (apt-get install haproxy)`,
  pythonInstalled ? null : `skipped: "${PYTHON}" is not installed`,
].filter((m) => m !== null);
const DEADLINE_MS = 20_000;

/** Counts visits in the session; `?logout` destroys it. Says which instance answered. */
const COUNTER = `import json, os, sys
path = os.environ["SESSION_FILE"]
with open(path, encoding="utf-8") as f:
    data = json.load(f)
if os.environ.get("QUERY_STRING") == "logout":
    sys.stdout.write("X-Session: destroy\\r\\nContent-Type: text/plain\\r\\n\\r\\nbye\\n")
    sys.exit(0)
data["n"] = data.get("n", 0) + 1
tmp = path + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(data, f)
os.replace(tmp, path)
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\n")
sys.stdout.write("n=%d port=%s\\n" % (data["n"], os.environ["SERVER_PORT"]))
`;

function webservConfig(redisUrl: string): string {
  return `error_log error.log error;
access_log off;
server {
  listen 127.0.0.1:0;
  session_store ${redisUrl};
  location /app/ {
    alias app/;
    session on;
    cgi .py ${PYTHON};
  }
}
`;
}

/** HAProxy on a free port (bound by us, closed, then given to haproxy; retried if it is taken). */
async function startHaproxy(backends: number[]): Promise<{ port: number; stop(): Promise<void> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    const dir = await Deno.makeTempDir({ prefix: "webserv-haproxy-" });
    const servers = backends.map((p, i) => `  server w${i} 127.0.0.1:${p} check inter 200ms`);
    // A stopped instance refuses connections: the request is sent to the other one (redispatch).
    const cfg = `global
  maxconn 256
defaults
  mode http
  timeout connect 2s
  timeout client 20s
  timeout server 20s
  retries 3
  option redispatch 1
frontend web
  bind 127.0.0.1:${port}
  default_backend webservs
backend webservs
  balance roundrobin
  http-reuse never
${servers.join("\n")}
`;
    await Deno.writeTextFile(join(dir, "haproxy.cfg"), cfg);
    const child = new Deno.Command(HAPROXY, {
      args: ["-db", "-f", join(dir, "haproxy.cfg")],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const drained = (async () => {
      for (;;) {
        const { value, done } = await stderr.read();
        if (done) return;
        text += value;
      }
    })();
    let exited = false;
    child.status.then(() => exited = true);
    const stop = async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Exited already.
      }
      await child.status;
      await drained;
      await Deno.remove(dir, { recursive: true });
    };
    // HAProxy says nothing when it is ready: ask its port until it answers (bounded).
    const deadline = Date.now() + DEADLINE_MS;
    let up = false;
    while (!exited && Date.now() < deadline) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        up = true;
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    if (up) return { port, stop };
    await stop();
    if (!/cannot bind|Address already in use/i.test(text)) {
      throw new Error(`haproxy did not start: ${text.trim()}`);
    }
  }
  throw new Error("haproxy found no free port in 5 attempts");
}

interface Visit {
  status: number;
  body: string;
  cookie: string | null;
}

async function visit(port: number, path: string, cookie: string | null): Promise<Visit> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: cookie === null ? {} : { cookie },
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  const set = res.headers.get("set-cookie");
  return { status: res.status, body: await res.text(), cookie: set?.split(";")[0] ?? null };
}

Deno.test({
  name: MISSING.length === 0
    ? "two instances behind HAProxy share sessions through Redis"
    : `two instances behind HAProxy share sessions through Redis (${MISSING.join("; ")})`,
  ignore: MISSING.length > 0,
  async fn() {
    let redis: TestRedis | null = null;
    const instances: ServerProcess[] = [];
    let haproxy: { port: number; stop(): Promise<void> } | null = null;
    try {
      redis = await startRedis();
      for (let i = 0; i < 2; i++) {
        instances.push(
          await startServerProcess(webservConfig(redis.url), { "app/count.py": COUNTER }),
        );
      }
      const [one, two] = instances as [ServerProcess, ServerProcess];
      haproxy = await startHaproxy([one.port, two.port]);
      const lb = haproxy.port;

      // A new session, then visits that alternate between the instances.
      const first = await visit(lb, "/app/count.py", null);
      assert.equal(first.status, 200, first.body);
      assert.ok(first.cookie !== null, "no session cookie");
      const cookie = first.cookie;
      const ports = new Set([/port=(\d+)/.exec(first.body)![1]]);
      let n = 1;
      for (let i = 0; i < 6; i++) {
        const v = await visit(lb, "/app/count.py", cookie);
        assert.equal(v.status, 200, v.body);
        n++;
        assert.match(v.body, new RegExp(`^n=${n} `), `visit ${n}`);
        ports.add(/port=(\d+)/.exec(v.body)![1]);
      }
      assert.deepEqual([...ports].sort(), [String(one.port), String(two.port)].sort());

      // Eight at once, spread over both instances: none of the increments is lost.
      const together = await Promise.all(
        Array.from({ length: 8 }, () => visit(lb, "/app/count.py", cookie)),
      );
      for (const v of together) assert.equal(v.status, 200, v.body);
      const counts = together.map((v) => Number(/^n=(\d+)/.exec(v.body)![1])).sort((a, b) => a - b);
      assert.deepEqual(counts, Array.from({ length: 8 }, (_, i) => n + 1 + i));
      n += 8;

      // One instance stops mid-run: the other answers, with the same session.
      await one.stop();
      instances.shift();
      for (let i = 0; i < 4; i++) {
        const v = await visit(lb, "/app/count.py", cookie);
        assert.equal(v.status, 200, v.body);
        n++;
        assert.equal(v.body, `n=${n} port=${two.port}\n`);
      }

      // Logout destroys the session for every instance.
      const out = await visit(lb, "/app/count.py?logout", cookie);
      assert.equal(out.body, "bye\n");
      const after = await visit(lb, "/app/count.py", cookie);
      assert.match(after.body, /^n=1 /);
      assert.notEqual(after.cookie, null, "a new session is issued");

      // Redis goes away: a clear 503, a line in the error log, and the server still serves.
      await redis.stop();
      const down = await visit(lb, "/app/count.py", after.cookie);
      assert.equal(down.status, 503);
      const again = await visit(lb, "/app/count.py", after.cookie);
      assert.equal(again.status, 503);
      // The error log is written in batches within 200 ms: read it until the line is there.
      const logged = new RegExp(`\\[error\\] .*session store "${redis.url}" failed: `);
      const deadline = Date.now() + DEADLINE_MS;
      let log = "";
      while (!logged.test(log)) {
        assert.ok(Date.now() < deadline, `no Redis failure in the error log: ${log}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        log = await Deno.readTextFile(join(two.dir, "error.log")).catch(() => "");
      }
      assert.equal(
        (await visit(two.port, "/missing", null)).status,
        404,
        "the server still serves",
      );
    } finally {
      await haproxy?.stop();
      for (const instance of instances) await instance.stop();
      await redis?.stop();
    }
  },
});
