/**
 * Sessions over real HTTP: the real server, real python3, perl and php-cgi, cookies sent by hand.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig } from "../../lib/config/load.ts";
import { type TestServer, withTestServer } from "./_server.ts";

const EXAMPLES = join(import.meta.dirname!, "..", "..", "cgi");
const HAS_PHP = await Deno.stat("/usr/bin/php-cgi").then(() => true, () => false);
const COOKIE = /^WSSESSID=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Lax$/;

/** Counts visits in the session: reads SESSION_FILE, adds one to `n`, writes it back atomically. */
const COUNTER_PY = `import json, os, sys, tempfile
path = os.environ["SESSION_FILE"]
with open(path, encoding="utf-8") as f:
    data = json.load(f)
data["n"] = data.get("n", 0) + 1
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
with os.fdopen(fd, "w", encoding="utf-8") as f:
    json.dump(data, f)
os.replace(tmp, path)
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\n%d %s\\n" % (data["n"], os.environ["SESSION_ID"]))
`;

const COUNTER_PL = `use strict;
use warnings;
use JSON::PP;
my $path = $ENV{SESSION_FILE};
open(my $in, '<', $path) or die "cannot read $path";
my $data = decode_json(do { local $/; <$in> });
close($in);
$data->{n} = ($data->{n} // 0) + 1;
open(my $out, '>', "$path.$$.tmp") or die "cannot write";
print $out encode_json($data);
close($out);
rename("$path.$$.tmp", $path) or die "cannot rename";
print "Content-Type: text/plain\\r\\n\\r\\n$data->{n} $ENV{SESSION_ID}\\n";
`;

const COUNTER_PHP = `<?php
$path = getenv('SESSION_FILE');
$data = json_decode(file_get_contents($path), true);
$data['n'] = ($data['n'] ?? 0) + 1;
$tmp = tempnam(dirname($path), 'tmp');
file_put_contents($tmp, json_encode((object)$data));
rename($tmp, $path);
header('Content-Type: text/plain');
echo $data['n'], ' ', getenv('SESSION_ID'), "\\n";
`;

/** Shows what reaches a script and what it can send: its own cookies and X-Session. */
const HEADERS_PY = `import os, sys
action = os.environ.get("QUERY_STRING", "")
sys.stdout.write("Content-Type: text/plain\\r\\nSet-Cookie: a=1; Path=/\\r\\nSet-Cookie: b=2\\r\\n")
if action:
    sys.stdout.write("X-Session: %s\\r\\n" % action)
sys.stdout.write("\\r\\nid=%s file=%s\\n" % (os.environ.get("SESSION_ID", "-"), os.environ.get("SESSION_FILE", "-")))
`;

const FILES = {
  "cgi/counter.py": COUNTER_PY,
  "cgi/counter.pl": COUNTER_PL,
  "cgi/counter.php": COUNTER_PHP,
  "cgi/headers.py": HEADERS_PY,
  "site/index.html": "home\n",
};

function config(extra = ""): string {
  return `
access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  ${extra}
  location /s/ {
    alias cgi/;
    session on;
    cgi .py /usr/bin/python3;
    cgi .pl /usr/bin/perl;
    cgi .php /usr/bin/php-cgi;
  }
  location /plain/ { alias cgi/; cgi .py /usr/bin/python3; }
  location /cgi-bin/ {
    alias ${EXAMPLES}/;
    allow_methods GET POST;
    session on;
    cgi .py /usr/bin/python3;
    cgi .php /usr/bin/php-cgi;
  }
}
`;
}

function withServer(fn: (s: TestServer) => Promise<void>, extra = ""): Promise<void> {
  return withTestServer(config(extra), FILES, fn);
}

interface Answer {
  status: number;
  text: string;
  setCookies: string[];
  headers: Headers;
  /** The session id of the WSSESSID cookie set, if any. */
  issued: string | null;
}

async function request(
  url: string,
  options: { cookie?: string | null; method?: string; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = new Headers();
  if (options.cookie) headers.set("Cookie", options.cookie);
  const res = await fetch(url, {
    method: options.method ?? (options.form ? "POST" : "GET"),
    headers,
    body: options.form ? new URLSearchParams(options.form) : undefined,
    redirect: "manual",
  });
  const text = await res.text();
  const setCookies = res.headers.getSetCookie();
  const ours = setCookies.map((c) => COOKIE.exec(c)?.[1]).find((id) => id !== undefined);
  return { status: res.status, text, setCookies, headers: res.headers, issued: ours ?? null };
}

/** "3 <id>" → [3, id] */
function counted(text: string): [number, string] {
  const [n = "", id = ""] = text.trim().split(" ");
  return [Number(n), id];
}

Deno.test("a first visit issues an HttpOnly, SameSite=Lax session cookie", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/s/counter.py`);
    assert.equal(first.status, 200);
    assert.equal(first.setCookies.length, 1, first.setCookies.join(" | "));
    assert.match(first.setCookies[0]!, COOKIE);
    const [n, id] = counted(first.text);
    assert.equal(n, 1);
    assert.equal(id, first.issued, "the script gets the id of the cookie");
  });
});

Deno.test("the counter rises across requests; the cookie is sent once", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/s/counter.py`);
    const cookie = `WSSESSID=${first.issued}`;
    for (let i = 2; i <= 5; i++) {
      const next = await request(`${s.base}/s/counter.py`, { cookie });
      assert.deepEqual(counted(next.text), [i, first.issued]);
      assert.equal(next.issued, null, "no new cookie for a known session");
    }
  });
});

Deno.test({
  name: "one session is shared by Python, Perl and PHP scripts",
  ignore: !HAS_PHP,
  async fn() {
    await withServer(async (s) => {
      const first = await request(`${s.base}/s/counter.py`);
      const cookie = `WSSESSID=${first.issued}`;
      assert.deepEqual(counted((await request(`${s.base}/s/counter.pl`, { cookie })).text), [
        2,
        first.issued,
      ]);
      assert.deepEqual(counted((await request(`${s.base}/s/counter.php`, { cookie })).text), [
        3,
        first.issued,
      ]);
      assert.deepEqual(counted((await request(`${s.base}/s/counter.py`, { cookie })).text), [
        4,
        first.issued,
      ]);
    });
  },
});

Deno.test("forged and malformed ids are never adopted: a new id is issued", async () => {
  await withServer(async (s) => {
    const forged = "A".repeat(43);
    for (const value of [forged, "../../etc/passwd", "x", `"${forged}"`]) {
      const res = await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${value}` });
      const [n, id] = counted(res.text);
      assert.equal(n, 1, value);
      assert.ok(res.issued !== null && res.issued !== forged, value);
      assert.equal(id, res.issued);
    }
    // The forged id stays unknown afterwards.
    const again = await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${forged}` });
    assert.equal(counted(again.text)[0], 1);
  });
});

Deno.test("an expired id gets a new session (dir store, file aged past the timeout)", async () => {
  const store = await Deno.makeTempDir({ prefix: "webserv-sessions-it-" });
  try {
    await withServer(async (s) => {
      const first = await request(`${s.base}/s/counter.py`);
      const cookie = `WSSESSID=${first.issued}`;
      assert.equal(counted((await request(`${s.base}/s/counter.py`, { cookie })).text)[0], 2);
      // The data is stored once the script has exited: a request of the same session waits for
      // that, so after it nothing writes the session's file any more.
      await request(`${s.base}/s/headers.py`, { cookie });
      const old = new Date(Date.now() - 11 * 60_000);
      await Deno.utime(join(store, `${first.issued}.json`), old, old);
      const late = await request(`${s.base}/s/counter.py`, { cookie });
      assert.ok(late.issued !== null && late.issued !== first.issued);
      assert.deepEqual(counted(late.text), [1, late.issued]);
      await assert.rejects(Deno.stat(join(store, `${first.issued}.json`)), Deno.errors.NotFound);
    }, `session_store ${store}; session_timeout 10m;`);
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("two concurrent clients keep separate sessions", async () => {
  await withServer(async (s) => {
    const client = async () => {
      const first = await request(`${s.base}/s/counter.py`);
      const cookie = `WSSESSID=${first.issued}`;
      const counts = [counted(first.text)[0]];
      for (let i = 0; i < 6; i++) {
        counts.push(counted((await request(`${s.base}/s/counter.py`, { cookie })).text)[0]);
      }
      return { id: first.issued, counts };
    };
    const [a, b] = await Promise.all([client(), client()]);
    assert.notEqual(a.id, b.id);
    assert.deepEqual(a.counts, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(b.counts, [1, 2, 3, 4, 5, 6, 7]);
  });
});

Deno.test("parallel requests of one session are served one at a time: no lost update", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/s/counter.py`);
    const cookie = `WSSESSID=${first.issued}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => request(`${s.base}/s/counter.py`, { cookie })),
    );
    const counts = answers.map((a) => counted(a.text)[0]).sort((a, b) => a - b);
    assert.deepEqual(counts, [2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

Deno.test("the request after a redirect sees the session even before the redirect's body ends", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/cgi-bin/login.py`);
    // The login's answer: only its head is read before following it, as browsers do.
    const login = await fetch(`${s.base}/cgi-bin/login.py`, {
      method: "POST",
      headers: { Cookie: `WSSESSID=${first.issued}` },
      body: new URLSearchParams({ user: "demo", password: "demo" }),
      redirect: "manual",
    });
    const id = COOKIE.exec(login.headers.getSetCookie()[0] ?? "")?.[1];
    assert.ok(id !== undefined);
    const [page] = await Promise.all([
      request(`${s.base}/cgi-bin/login.py`, { cookie: `WSSESSID=${id}` }),
      login.text(),
    ]);
    assert.match(page.text, /Hello, <strong>demo<\/strong>/);
  });
});

Deno.test("with session_store, a session survives a restart of the server", async () => {
  const store = await Deno.makeTempDir({ prefix: "webserv-sessions-it-" });
  try {
    let id = "";
    await withServer(async (s) => {
      const first = await request(`${s.base}/s/counter.py`);
      id = first.issued!;
      await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${id}` });
    }, `session_store ${store};`);
    // A new server (new process state, new port) on the same configuration and directory.
    await withServer(async (s) => {
      const res = await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${id}` });
      assert.deepEqual(counted(res.text), [3, id]);
      assert.equal(res.issued, null);
    }, `session_store ${store};`);
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("a memory store forgets sessions on restart: the old id is replaced", async () => {
  let id = "";
  await withServer(async (s) => {
    id = (await request(`${s.base}/s/counter.py`)).issued!;
  });
  await withServer(async (s) => {
    const res = await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${id}` });
    assert.ok(res.issued !== null && res.issued !== id);
  });
});

Deno.test("scripts' own Set-Cookie headers pass through; X-Session is never sent", async () => {
  await withServer(async (s) => {
    const res = await request(`${s.base}/s/headers.py`);
    assert.deepEqual(res.setCookies.slice(0, 2), ["a=1; Path=/", "b=2"]);
    assert.match(res.setCookies[2]!, COOKIE);
    const cookie = `WSSESSID=${res.issued}`;
    const regen = await request(`${s.base}/s/headers.py?regenerate`, { cookie });
    assert.equal(regen.headers.get("x-session"), null);
    assert.ok(regen.issued !== null && regen.issued !== res.issued, "a new id after regenerate");
    assert.match(regen.text, new RegExp(`^id=${res.issued} `), "the script ran with the old id");
    const destroyed = await request(`${s.base}/s/headers.py?destroy`, {
      cookie: `WSSESSID=${regen.issued}`,
    });
    assert.equal(destroyed.headers.get("x-session"), null);
    assert.match(
      destroyed.setCookies.at(-1)!,
      /^WSSESSID=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970/,
    );
    const after = await request(`${s.base}/s/headers.py`, { cookie: `WSSESSID=${regen.issued}` });
    assert.ok(after.issued !== null && after.issued !== regen.issued, "destroyed means unknown");
  });
});

Deno.test("without `session on` a script gets no session and no cookie", async () => {
  await withServer(async (s) => {
    const res = await request(`${s.base}/plain/headers.py`);
    assert.equal(res.text, "id=- file=-\n");
    assert.deepEqual(res.setCookies, ["a=1; Path=/", "b=2"]);
  });
});

/** The demo: login form, wrong password, login (new id), counting page, logout. */
async function demoFlow(s: TestServer, login: string, logout: string): Promise<void> {
  const form = await request(`${s.base}${login}`);
  assert.equal(form.status, 200);
  assert.match(form.text, /<form method="post"/);
  const planted = form.issued!;
  let cookie = `WSSESSID=${planted}`;
  const wrong = await request(`${s.base}${login}`, {
    cookie,
    form: { user: "demo", password: "nope" },
  });
  assert.match(wrong.text, /Wrong user name or password/);
  assert.equal(wrong.issued, null);
  const ok = await request(`${s.base}${login}`, {
    cookie,
    form: { user: "demo", password: "demo" },
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), login);
  assert.ok(ok.issued !== null && ok.issued !== planted, "login rotates the id");
  // The pre-login id is worth nothing now (session fixation).
  const fixated = await request(`${s.base}${login}`, { cookie });
  assert.match(fixated.text, /<form method="post"/);
  cookie = `WSSESSID=${ok.issued}`;
  for (const visits of [1, 2, 3]) {
    const page = await request(`${s.base}${login}`, { cookie });
    assert.match(page.text, /Hello, <strong>demo<\/strong>/);
    assert.match(page.text, new RegExp(`<strong id="visits">${visits}</strong>`));
  }
  const out = await request(`${s.base}${logout}`, { cookie, method: "POST" });
  assert.equal(out.status, 303);
  assert.match(out.setCookies.join("\n"), /WSSESSID=; Path=\/; Max-Age=0/);
  const after = await request(`${s.base}${login}`, { cookie });
  assert.match(after.text, /<form method="post"/);
  assert.doesNotMatch(after.text, /Hello/);
}

Deno.test("the Python demo: login, counting page, logout", async () => {
  await withServer((s) => demoFlow(s, "/cgi-bin/login.py", "/cgi-bin/logout.py"));
});

Deno.test({
  name: "the PHP demo: login, counting page, logout",
  ignore: !HAS_PHP,
  async fn() {
    await withServer((s) => demoFlow(s, "/cgi-bin/login.php", "/cgi-bin/logout.php"));
  },
});

Deno.test("a reload keeps in-memory sessions of an unchanged server", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/s/counter.py`);
    const id = first.issued!;
    // The same file read again: the same address (its socket is kept) and session settings.
    await s.server.reload(parseConfig(config(""), join(s.dir, "test.conf")));
    const res = await request(`${s.base}/s/counter.py`, { cookie: `WSSESSID=${id}` });
    assert.deepEqual(counted(res.text), [2, id]);
    assert.equal(res.issued, null);
  });
});

Deno.test("session_cookie_max_age and session_cookie_secure shape the session cookie", async () => {
  await withServer(async (s) => {
    const first = await request(`${s.base}/s/counter.py`);
    const cookie = first.setCookies.find((c) => c.startsWith("WSSESSID="))!;
    assert.match(cookie, /; Max-Age=3600(;|$)/);
    assert.match(cookie, /; Secure(;|$)/);
    assert.match(cookie, /; HttpOnly(;|$)/);
    assert.match(cookie, /; SameSite=Lax(;|$)/);
  }, "session_cookie_max_age 1h;\nsession_cookie_secure on;");
});
