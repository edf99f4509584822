import assert from "node:assert/strict";
import { join } from "node:path";
import type { LocationConfig } from "../../../lib/config/types.ts";
import type { RequestContext } from "../../../lib/phases/context.ts";
import { createCgiHandler } from "../../../lib/handlers/cgi.ts";
import type { BodyReader } from "../../../lib/http/request.ts";
import type { Response, StreamBody } from "../../../lib/http/response.ts";
import {
  bodyOf,
  emptyBody,
  testContext,
  testHead,
  testLocation,
  testServices,
} from "../_fixtures.ts";

const REPO = join(import.meta.dirname ?? ".", "../../..");
const CGI = new Map([
  [".py", "/usr/bin/python3"],
  [".pl", "/usr/bin/perl"],
  [".php", "/usr/bin/php-cgi"],
]);
const enc = new TextEncoder();
const dec = new TextDecoder();
const logged: string[] = [];
const handler = createCgiHandler({ timeoutMs: 5000, log: (line) => logged.push(line) });
/** This file's scripts run in one pool, which the tests wait on. */
const services = await testServices();
const allCgiFinished = () => services.cgi.allFinished();

function location(over: Partial<LocationConfig> = {}): LocationConfig {
  return testLocation({ root: REPO, cgi: CGI, ...over });
}

interface Req {
  method?: string;
  target: string;
  headers?: [string, string][];
  body?: BodyReader;
  loc?: LocationConfig;
}

function context(req: Req): RequestContext {
  const head = testHead({
    method: req.method ?? "GET",
    target: req.target,
    headers: [["host", "example.test:8080"], ...(req.headers ?? [])],
  });
  const body = req.body ?? emptyBody();
  return testContext({
    head,
    body,
    location: req.loc ?? location(),
    host: "example.test",
    services,
  });
}

function streamOf(res: Response): StreamBody {
  const body = res.body;
  assert.ok(body !== null && !(body instanceof Uint8Array) && body.kind === "stream");
  return body;
}

/** Reads a stream body to its end and closes it, as the connection does. */
async function text(res: Response): Promise<string> {
  const body = streamOf(res);
  const pieces: string[] = [];
  try {
    for await (const piece of body.chunks) pieces.push(dec.decode(piece, { stream: true }));
  } finally {
    body.close?.();
  }
  // The script is reaped and its pipes released before the test ends (resource sanitizer).
  await allCgiFinished();
  return pieces.join("");
}

async function respond(req: Req): Promise<Response> {
  const res = await handler(context(req));
  assert.ok(res !== null, "the handler declined");
  return res;
}

function header(res: Response, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** Lines "KEY=VALUE" of tests/testdata/cgi/env.py as a record. */
function parseEnv(body: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of body.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

Deno.test("cgiHandler declines a location without a cgi map", async () => {
  const loc = location({ cgi: new Map() });
  assert.equal(await handler(context({ target: "/tests/testdata/cgi/hello.py", loc })), null);
});

Deno.test("cgiHandler declines a path without a CGI extension", async () => {
  assert.equal(await handler(context({ target: "/tests/testdata/cgi/hello.txt" })), null);
  assert.equal(await handler(context({ target: "/cgi/" })), null);
});

Deno.test("cgiHandler answers 404 for a missing script", async () => {
  const res = await respond({ target: "/tests/testdata/cgi/missing.py/x" });
  assert.deepEqual(res, { status: 404, headers: [], body: null });
});

Deno.test("cgiHandler answers 404 for a CGI name that is a directory", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "dir.py"));
    const res = await respond({ target: "/dir.py", loc: location({ root }) });
    assert.equal(res.status, 404);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cgiHandler streams a script's output with its status and headers", async () => {
  const res = await respond({ target: "/tests/testdata/cgi/hello.py?x=1" });
  assert.equal(res.status, 200);
  assert.equal(header(res, "x-lang"), "python");
  assert.equal(header(res, "content-length"), undefined);
  assert.equal(await text(res), "hello from python x=1\n");
  await allCgiFinished();
});

Deno.test("cgiHandler passes the script's Content-Length through", async () => {
  const res = await respond({ target: "/tests/testdata/cgi/status.py" });
  assert.equal(res.status, 418);
  assert.equal(header(res, "content-length"), "6");
  assert.equal(await text(res), "teapot");
});

Deno.test("cgiHandler sets SCRIPT_NAME, PATH_INFO and PATH_TRANSLATED", async () => {
  const res = await respond({
    target: "/tests/testdata/cgi/env.py/extra/a%20b.py?q=%41",
    headers: [["cookie", "a=1"], ["cookie", "b=2"], ["proxy", "http://evil"]],
  });
  const env = parseEnv(await text(res));
  assert.equal(env.SCRIPT_NAME, "/tests/testdata/cgi/env.py");
  assert.equal(env.SCRIPT_FILENAME, join(REPO, "tests/testdata/cgi/env.py"));
  assert.equal(env.PATH_INFO, "/extra/a b.py");
  assert.equal(env.PATH_TRANSLATED, REPO + "/extra/a b.py");
  assert.equal(env.QUERY_STRING, "q=%41");
  assert.equal(env.REQUEST_URI, "/tests/testdata/cgi/env.py/extra/a%20b.py?q=%41");
  assert.equal(env.SERVER_NAME, "example.test");
  assert.equal(env.SERVER_PORT, "8080");
  assert.equal(env.HTTP_COOKIE, "a=1; b=2");
  assert.equal(env.HTTP_PROXY, undefined);
  assert.equal(env.CONTENT_LENGTH, undefined);
  assert.equal(env.HOME, undefined);
});

Deno.test("cgiHandler takes the first CGI name that is a file, from the left", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "dir.py"));
    const script = await Deno.readTextFile(join(REPO, "tests/testdata/cgi/env.py"));
    await Deno.writeTextFile(join(root, "dir.py/env.py"), script);
    const res = await respond({ target: "/dir.py/env.py/more.py", loc: location({ root }) });
    const env = parseEnv(await text(res));
    assert.equal(env.SCRIPT_NAME, "/dir.py/env.py");
    assert.equal(env.PATH_INFO, "/more.py");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cgiHandler maps scripts under an alias", async () => {
  const loc = location({ path: "/scripts/", alias: join(REPO, "tests/testdata/cgi/") });
  const res = await respond({ target: "/scripts/env.py/x", loc });
  const env = parseEnv(await text(res));
  assert.equal(env.SCRIPT_FILENAME, join(REPO, "tests/testdata/cgi/env.py"));
  assert.equal(env.SCRIPT_NAME, "/scripts/env.py");
  assert.equal(env.DOCUMENT_ROOT, join(REPO, "tests/testdata/cgi/"));
});

Deno.test("cgiHandler returns an internal redirect for a local Location", async () => {
  const res = await respond({ target: "/tests/testdata/cgi/redirect.py" });
  assert.deepEqual(res, {
    status: 200,
    headers: [],
    body: null,
    internalRedirect: "/other/page?x=1",
  });
  await allCgiFinished();
});

Deno.test("cgiHandler answers 502 with an error page for a failing script", async () => {
  const res = await respond({ target: "/tests/testdata/cgi/exit1.py" });
  assert.deepEqual(res, { status: 502, headers: [], body: null });
  assert.ok(logged.some((line) => line.includes("exit1.py failing on purpose")));
});

for (const size of [1000, 1536 * 1024]) {
  Deno.test(`cgiHandler gives a chunked body of ${size} bytes its CONTENT_LENGTH`, async () => {
    const sent = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
    const res = await respond({
      method: "POST",
      target: "/tests/testdata/cgi/echo_after_read.py",
      body: bodyOf(sent, { length: null }),
    });
    assert.equal(await text(res), `read ${size} bytes\n`);
    await allCgiFinished();
  });
}

Deno.test("cgiHandler streams a 1 MB request body through a script", async () => {
  const sent = new Uint8Array(1024 * 1024).map((_, i) => (i * 13) & 0xff);
  const res = await respond({
    method: "POST",
    target: "/tests/testdata/cgi/echo.py",
    body: bodyOf(sent),
  });
  const body = streamOf(res);
  let total = 0;
  let same = true;
  try {
    for await (const piece of body.chunks) {
      for (let i = 0; i < piece.length; i++) if (piece[i] !== sent[total + i]) same = false;
      total += piece.length;
    }
  } finally {
    body.close?.();
    await allCgiFinished();
  }
  assert.equal(total, sent.length);
  assert.ok(same, "echoed bytes differ");
});

// The example scripts in cgi/ (served at /cgi-bin/<name> by the example config).

Deno.test("cgi/hello.pl greets the name in the query, escaped", async () => {
  const page = await text(await respond({ target: "/cgi/hello.pl?name=%3Cb%3EAda" }));
  assert.match(page, /<h1>Hello, &lt;b&gt;Ada!<\/h1>/);
  assert.match(page, /href="\/"/);
});

Deno.test("cgi/env.py shows the environment as an escaped table", async () => {
  const page = await text(
    await respond({ target: "/cgi/env.py?a=<x>", headers: [["x-test", "<script>"]] }),
  );
  assert.match(page, /<th>HTTP_X_TEST<\/th><td>&lt;script&gt;<\/td>/);
  assert.match(page, /<th>GATEWAY_INTERFACE<\/th><td>CGI\/1.1<\/td>/);
});

Deno.test("cgi/form.py echoes GET, urlencoded and multipart forms", async () => {
  const get = await text(await respond({ target: "/cgi/form.py?q=one&q=%3Ctwo%3E" }));
  assert.match(get, /<td>q<\/td><td>one<\/td>/);
  assert.match(get, /<td>q<\/td><td>&lt;two&gt;<\/td>/);

  const urlencoded = await text(
    await respond({
      method: "POST",
      target: "/cgi/form.py",
      headers: [["content-type", "application/x-www-form-urlencoded"]],
      body: bodyOf(enc.encode("a=hello+world&b=%26")),
    }),
  );
  assert.match(urlencoded, /<td>a<\/td><td>hello world<\/td>/);
  assert.match(urlencoded, /<td>b<\/td><td>&amp;<\/td>/);

  const boundary = "XyZ123";
  const multipart = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi there\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\n${"x".repeat(5000)}\r\n--${boundary}--\r\n`,
  );
  const upload = await text(
    await respond({
      method: "POST",
      target: "/cgi/form.py",
      headers: [["content-type", `multipart/form-data; boundary=${boundary}`]],
      body: bodyOf(multipart),
    }),
  );
  assert.match(upload, /<td>note<\/td><td>hi there<\/td>/);
  assert.match(upload, /<td>file<\/td><td>a.txt<\/td><td>5000<\/td>/);
});

Deno.test("cgi/form.php echoes $_GET, $_POST and an uploaded file", async () => {
  const get = await text(await respond({ target: "/cgi/form.php?q=%3Ci%3E" }));
  assert.match(get, /<th>q<\/th><td>&lt;i&gt;<\/td>/);

  const post = await text(
    await respond({
      method: "POST",
      target: "/cgi/form.php",
      headers: [["content-type", "application/x-www-form-urlencoded"]],
      body: bodyOf(enc.encode("a=1&b=%22quoted%22")),
    }),
  );
  assert.match(post, /<th>a<\/th><td>1<\/td>/);
  assert.match(post, /<th>b<\/th><td>&quot;quoted&quot;<\/td>/);

  const boundary = "PhpBoundary";
  const multipart = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="up.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${"y".repeat(1234)}\r\n--${boundary}--\r\n`,
  );
  const upload = await text(
    await respond({
      method: "POST",
      target: "/cgi/form.php",
      headers: [["content-type", `multipart/form-data; boundary=${boundary}`]],
      body: bodyOf(multipart),
    }),
  );
  assert.match(upload, /Name: up.bin, size: 1234 bytes/);
});

Deno.test("cgi/slow.py streams its lines as they come", async () => {
  const res = await respond({ target: "/cgi/slow.py" });
  const body = streamOf(res);
  const start = Date.now();
  const times: number[] = [];
  let page = "";
  try {
    for await (const piece of body.chunks) {
      page += dec.decode(piece);
      if (dec.decode(piece).includes("Line 1 of 5")) times.push(Date.now() - start);
    }
  } finally {
    body.close?.();
    await allCgiFinished();
  }
  const total = Date.now() - start;
  assert.match(page, /Line 5 of 5/);
  assert.equal(times.length, 1);
  // The first line arrives long before the last.
  assert.ok((times[0] ?? total) < total - 1000, `first line at ${times[0]} ms of ${total} ms`);
});
