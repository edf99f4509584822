import assert from "node:assert/strict";
import { join } from "node:path";
import { buildCgiEnv } from "../../../lib/cgi/env.ts";
import { type CgiRun, runCgi } from "../../../lib/cgi/runner.ts";
import { HttpError } from "../../../lib/http/errors.ts";
import type { BodyReader } from "../../../lib/http/request.ts";
import { bodyOf, testHead } from "../_fixtures.ts";

const DIR = join(import.meta.dirname ?? ".", "../../testdata/cgi");
const PYTHON = "/usr/bin/python3";
const PERL = "/usr/bin/perl";
const PHP = "/usr/bin/php-cgi";
const dec = new TextDecoder();

/** The environment the handler would build for `script` with this query and body length. */
function envFor(script: string, query = "", contentLength: number | null = null) {
  return buildCgiEnv({
    head: testHead({
      method: contentLength === null ? "GET" : "POST",
      target: `/cgi/${script}${query ? "?" + query : ""}`,
      headers: [["host", "localhost"]],
    }),
    scriptName: `/cgi/${script}`,
    scriptFilename: join(DIR, script),
    pathInfo: "",
    documentRoot: DIR,
    host: "localhost",
    serverNames: [],
    local: { hostname: "127.0.0.1", port: 8080 },
    remote: { hostname: "127.0.0.1", port: 40000 },
    contentLength,
  });
}

interface Logged {
  lines: string[];
  log: (line: string) => void;
}

function logger(): Logged {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

/** The pid of the last script run() started. */
let lastPid = 0;

async function run(
  interpreter: string,
  script: string,
  opts: { query?: string; body?: BodyReader; timeoutMs?: number; log?: Logged } = {},
): Promise<CgiRun> {
  lastPid = 0;
  return await runCgi({
    interpreter,
    scriptFile: join(DIR, script),
    env: envFor(script, opts.query, opts.body?.length ?? null),
    body: opts.body ?? null,
    timeoutMs: opts.timeoutMs,
    log: (opts.log ?? logger()).log,
    onSpawn: (pid) => lastPid = pid,
  });
}

async function readAll(r: CgiRun): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of r.body) {
    pieces.push(piece);
    total += piece.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Runs a script to its end and returns its text body. */
async function complete(r: CgiRun): Promise<string> {
  try {
    return dec.decode(await readAll(r));
  } finally {
    r.close();
    await r.finished;
  }
}

async function rejects(promise: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, status);
    return true;
  });
}

/** Whether a process exists and is not a zombie. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch (e) {
    // Gone before the read (ENOENT) or during it (ESRCH, which Deno names by its message only).
    if (e instanceof Deno.errors.NotFound || /\(os error 3\)/.test(String(e))) return false;
    throw e;
  }
}

/** Waits until a process killed by someone else has died (there is no event to await). */
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await isRunning(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** Asserts that a script's process is gone, not even a zombie left. */
async function assertReaped(pid: number): Promise<void> {
  assert.ok(pid > 0, "no pid");
  await assert.rejects(Deno.stat(`/proc/${pid}`), Deno.errors.NotFound);
}

function header(r: CgiRun, name: string): string[] {
  return r.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

Deno.test("runCgi() runs a Python script", async () => {
  const r = await run(PYTHON, "hello.py", { query: "a=1" });
  assert.equal(r.status, 200);
  assert.deepEqual(header(r, "x-lang"), ["python"]);
  assert.equal(await complete(r), "hello from python a=1\n");
});

Deno.test("runCgi() runs a Perl script", async () => {
  const r = await run(PERL, "hello.pl", { query: "b=2" });
  assert.equal(r.status, 200);
  assert.deepEqual(header(r, "x-lang"), ["perl"]);
  assert.equal(await complete(r), "hello from perl b=2\n");
});

Deno.test("runCgi() runs php-cgi with $_GET, REDIRECT_STATUS and two Set-Cookie", async () => {
  const r = await run(PHP, "hello.php", { query: "name=Ada" });
  assert.equal(r.status, 200);
  assert.deepEqual(header(r, "x-lang"), ["php"]);
  assert.deepEqual(header(r, "set-cookie"), ["a=1", "b=2"]);
  assert.match(header(r, "content-type")[0] ?? "", /^text\/plain/);
  assert.equal(await complete(r), "hello from php Ada 200\n");
});

Deno.test("runCgi() passes Status and Content-Length through", async () => {
  const r = await run(PYTHON, "status.py");
  assert.equal(r.status, 418);
  assert.deepEqual(header(r, "content-length"), ["6"]);
  assert.equal(await complete(r), "teapot");
});

Deno.test("runCgi() reports a local redirect", async () => {
  const r = await run(PYTHON, "redirect.py");
  assert.equal(r.internalRedirect, "/other/page?x=1");
  r.close();
  await r.finished;
});

Deno.test("runCgi() round-trips a 1 MB body without deadlock", async () => {
  const sent = new Uint8Array(1024 * 1024);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 10)) & 0xff;
  const r = await run(PYTHON, "echo.py", { body: bodyOf(sent) });
  try {
    const got = await readAll(r);
    assert.equal(got.length, sent.length);
    assert.ok(got.every((b, i) => b === sent[i]), "echoed bytes differ");
  } finally {
    r.close();
    await r.finished;
  }
});

Deno.test("runCgi() streams 20 MB of output piece by piece", async () => {
  const r = await run(PYTHON, "big.py", { query: "20" });
  let total = 0;
  let pieces = 0;
  try {
    for await (const piece of r.body) {
      for (let i = 0; i < piece.length; i++) {
        if (piece[i] !== ((total + i) & 0xff)) assert.fail(`Byte ${total + i} is wrong`);
      }
      total += piece.length;
      pieces++;
    }
  } finally {
    r.close();
    await r.finished;
  }
  assert.equal(total, 20 * 1024 * 1024);
  assert.ok(pieces > 1);
});

Deno.test("runCgi() answers 502 when the script exits before its headers", async () => {
  const logged = logger();
  await rejects(run(PYTHON, "exit1.py", { log: logged }), 502);
  assert.ok(logged.lines.some((l) => l.includes("exit1.py failing on purpose")), logged.lines[0]);
  assert.ok(logged.lines.some((l) => l.includes("ended before its header block")));
  await assertReaped(lastPid);
});

Deno.test("runCgi() answers 502 for a garbage header", async () => {
  await rejects(run(PYTHON, "garbage.py"), 502);
  await assertReaped(lastPid);
});

Deno.test("runCgi() answers 502 when the interpreter is missing", async () => {
  const logged = logger();
  await rejects(run("/nonexistent/interpreter", "hello.py", { log: logged }), 502);
  assert.match(logged.lines[0] ?? "", /Cannot start CGI interpreter "\/nonexistent\/interpreter"/);
});

Deno.test("runCgi() answers 502 when the interpreter is not executable", async () => {
  await rejects(run(join(DIR, "hello.py"), "hello.py"), 502);
});

Deno.test("runCgi() answers 504 on a timeout before headers and kills the script", async () => {
  await rejects(run(PYTHON, "sleep.py", { timeoutMs: 300 }), 504);
  await assertReaped(lastPid);
});

Deno.test("runCgi() ends the stream on a timeout after headers and kills the script", async () => {
  const r = await run(PYTHON, "sleep_after_headers.py", { timeoutMs: 300 });
  const pieces: string[] = [];
  await rejects(
    (async () => {
      for await (const piece of r.body) pieces.push(dec.decode(piece));
    })(),
    504,
  );
  assert.equal(pieces.join(""), "first\n");
  r.close();
  await r.finished;
  await assertReaped(r.pid);
});

Deno.test("runCgi() close() mid-stream kills the script and its grandchild", async () => {
  const r = await run(PYTHON, "grandchild.py");
  const iterator = r.body[Symbol.asyncIterator]();
  const first = await iterator.next();
  const grandchild = Number(dec.decode(first.value).trim());
  assert.ok(grandchild > 0);
  assert.ok(await isRunning(grandchild));
  r.close();
  r.close();
  // Checked before awaiting the end: a surviving grandchild would hold the pipes for 30 s.
  const gone = await waitGone(grandchild);
  await r.finished;
  assert.ok(gone, "the grandchild survived");
  assert.equal((await iterator.next()).done, true);
  await assertReaped(r.pid);
});

Deno.test("runCgi() close() after a normal exit is harmless", async () => {
  const r = await run(PERL, "hello.pl");
  await readAll(r);
  await r.finished;
  r.close();
  r.close();
  await assertReaped(r.pid);
});

Deno.test("runCgi() kills the script and rethrows when the body reader fails", async () => {
  let reads = 0;
  const body: BodyReader = {
    length: 1 << 20,
    read() {
      if (reads++ === 0) return Promise.resolve(new Uint8Array(1000));
      return Promise.reject(new HttpError(413, "Request body is larger than 1024 bytes"));
    },
  };
  await rejects(run(PYTHON, "echo_after_read.py", { body }), 413);
  await assertReaped(lastPid);
});

Deno.test("runCgi() logs stderr lines with the script's name", async () => {
  const logged = logger();
  const r = await run(PYTHON, "stderr.py", { log: logged });
  assert.equal(await complete(r), "ok\n");
  assert.deepEqual(logged.lines, ['CGI "stderr.py": line one', 'CGI "stderr.py": line two']);
});

Deno.test("runCgi() leaves no fds and no children after 100 runs", async () => {
  // In a process of its own: under --parallel, other test files spawn and open files in this one.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(DIR, "hundred_runs.ts")],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const result = JSON.parse(dec.decode(out.stdout));
  assert.equal(result.bodies, 100);
  assert.equal(result.after, result.before);
  assert.deepEqual(result.children, []);
});
