/** The CGI side of sessions without a server: the hub, the session file, X-Session, the cookie. */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { buildCgiEnv } from "../../../lib/cgi/env.ts";
import { parseConfig } from "../../../lib/config/load.ts";
import type { RequestHead } from "../../../lib/http/request.ts";
import { SessionHub } from "../../../lib/session/hub.ts";
import { isSessionId } from "../../../lib/session/id.ts";
import { testHead } from "../_fixtures.ts";

function head(cookie?: string): RequestHead {
  return testHead({ target: "/s.py", headers: cookie === undefined ? [] : [["cookie", cookie]] });
}

async function withHub(fn: (hub: SessionHub, logged: string[]) => Promise<void>): Promise<void> {
  const server = parseConfig("server { session on; }", "/tmp/x.conf").servers[0]!;
  const logged: string[] = [];
  const hub = await SessionHub.open(server, {
    log: (line) => logged.push(line),
    store: { sweepIntervalMs: 0 },
  });
  try {
    await fn(hub, logged);
  } finally {
    await hub.close();
  }
  await assert.rejects(Deno.stat(hub.fileDir), Deno.errors.NotFound, "close() removes the files");
}

/** Begins a session for a cookie-less request and stores `data` as the script would. */
async function loggedIn(hub: SessionHub, data: Record<string, unknown>): Promise<string> {
  const s = await hub.begin(head(), "login.py");
  await s.respond([]);
  await Deno.writeTextFile(s.file, JSON.stringify(data));
  await s.finish();
  return s.id;
}

Deno.test("SessionHub.begin() gives a new session a private file holding {}", async () => {
  await withHub(async (hub) => {
    const s = await hub.begin(head(), "a.py");
    assert.ok(isSessionId(s.id));
    assert.deepEqual(s.env, { SESSION_ID: s.id, SESSION_FILE: s.file });
    assert.equal(dirname(s.file), hub.fileDir);
    assert.equal((await Deno.stat(hub.fileDir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(s.file)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(s.file), "{}");
    await s.abandon();
  });
});

Deno.test("CgiSession.respond() sets the cookie for a new id only", async () => {
  await withHub(async (hub) => {
    const first = await hub.begin(head(), "a.py");
    const headers = await first.respond([["Content-Type", "text/plain"]]);
    assert.deepEqual(headers, [
      ["Content-Type", "text/plain"],
      ["Set-Cookie", `WSSESSID=${first.id}; Path=/; HttpOnly; SameSite=Lax`],
    ]);
    await first.finish();
    const again = await hub.begin(head(`WSSESSID=${first.id}`), "a.py");
    assert.equal(again.id, first.id);
    assert.deepEqual(await again.respond([["Content-Type", "text/plain"]]), [
      ["Content-Type", "text/plain"],
    ]);
    await again.finish();
  });
});

Deno.test("CgiSession.respond() passes the script's own Set-Cookie headers unchanged", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, {});
    const s = await hub.begin(head(`WSSESSID=${id}`), "a.py");
    const script: [string, string][] = [
      ["Set-Cookie", "a=1; Path=/"],
      ["set-cookie", "b=2; Max-Age=60"],
      ["Set-Cookie", "c=3"],
    ];
    assert.deepEqual(await s.respond(script), script);
    await s.finish();
  });
});

Deno.test("CgiSession.finish() stores what the script wrote and removes the file", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, { user: "demo", visits: 1 });
    assert.deepEqual(await hub.store.get(id), { user: "demo", visits: 1 });
    const s = await hub.begin(head(`WSSESSID=${id}`), "a.py");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(s.file)), { user: "demo", visits: 1 });
    await s.respond([]);
    await Deno.writeTextFile(s.file, '{"user":"demo","visits":2}');
    await s.finish();
    await s.finish();
    assert.deepEqual(await hub.store.get(id), { user: "demo", visits: 2 });
    await assert.rejects(Deno.stat(s.file), Deno.errors.NotFound);
  });
});

Deno.test("CgiSession.finish() keeps the old data when the script leaves junk", async () => {
  await withHub(async (hub, logged) => {
    const id = await loggedIn(hub, { n: 1 });
    for (const junk of ["[1,2]", "{broken", '"text"', JSON.stringify({ x: "y".repeat(70_000) })]) {
      const s = await hub.begin(head(`WSSESSID=${id}`), "bad.py");
      await s.respond([]);
      await Deno.writeTextFile(s.file, junk);
      await s.finish();
      assert.deepEqual(await hub.store.get(id), { n: 1 }, junk.slice(0, 20));
    }
    assert.equal(logged.length, 4);
    assert.match(
      logged[0]!,
      /session data from "bad.py" ignored: Session data is not a JSON object/,
    );
  });
});

Deno.test("X-Session: destroy removes the session, expires the cookie and is not sent", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, { user: "demo" });
    const s = await hub.begin(head(`WSSESSID=${id}`), "logout.py");
    const headers = await s.respond([["X-Session", "destroy"], ["Location", "/"]]);
    assert.deepEqual(headers, [
      ["Location", "/"],
      [
        "Set-Cookie",
        "WSSESSID=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
      ],
    ]);
    // What the script writes after asking for destroy is not stored.
    await Deno.writeTextFile(s.file, '{"user":"demo"}');
    await s.finish();
    assert.equal(await hub.store.get(id), null);
  });
});

Deno.test("X-Session: regenerate moves the data to a new id with a new cookie", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, { cart: [1] });
    const s = await hub.begin(head(`WSSESSID=${id}`), "login.py");
    await Deno.writeTextFile(s.file, '{"cart":[1],"user":"demo"}');
    const headers = await s.respond([["x-session", " Regenerate "]]);
    assert.notEqual(s.id, id);
    assert.deepEqual(headers, [
      ["Set-Cookie", `WSSESSID=${s.id}; Path=/; HttpOnly; SameSite=Lax`],
    ]);
    await s.finish();
    assert.equal(await hub.store.get(id), null, "the old id is dead");
    assert.deepEqual(await hub.store.get(s.id), { cart: [1], user: "demo" });
  });
});

Deno.test("an unknown X-Session value is stripped and logged", async () => {
  await withHub(async (hub, logged) => {
    const id = await loggedIn(hub, {});
    const s = await hub.begin(head(`WSSESSID=${id}`), "a.py");
    assert.deepEqual(await s.respond([["X-Session", "keep"], ["A", "b"]]), [["A", "b"]]);
    await s.finish();
    assert.equal(await hub.store.get(id) !== null, true);
    assert.match(logged.join("\n"), /unknown "X-Session: keep" from "a.py" ignored/);
  });
});

Deno.test("CgiSession.abandon() drops a session issued for a script that failed", async () => {
  await withHub(async (hub) => {
    const s = await hub.begin(head(), "broken.py");
    await s.abandon();
    assert.equal(await hub.store.get(s.id), null);
    await assert.rejects(Deno.stat(s.file), Deno.errors.NotFound);
  });
});

Deno.test("SessionHub.begin() waits until the session's previous script has stored", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, { n: 0 });
    const first = await hub.begin(head(`WSSESSID=${id}`), "a.py");
    await first.respond([]);
    let secondStarted = false;
    const second = hub.begin(head(`WSSESSID=${id}`), "a.py").then((s) => {
      secondStarted = true;
      return s;
    });
    await Deno.writeTextFile(first.file, '{"n":1}');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(secondStarted, false, "the second request waits for the first");
    await first.finish();
    const s = await second;
    assert.equal(await Deno.readTextFile(s.file), '{"n":1}', "and sees what the first stored");
    await s.finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(hub.locks.size, 0, "nothing is held once both are done");
  });
});

Deno.test("SessionHub.begin() gives up waiting after maxWaitMs", async () => {
  await withHub(async (hub) => {
    const id = await loggedIn(hub, { n: 0 });
    const first = await hub.begin(head(`WSSESSID=${id}`), "stream.py");
    const second = await hub.begin(head(`WSSESSID=${id}`), "a.py", 10);
    assert.equal(second.id, id);
    await second.finish();
    await first.finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(hub.locks.size, 0, "nothing is held once both are done");
  });
});

Deno.test("after X-Session: regenerate the new id waits for the stored data", async () => {
  await withHub(async (hub) => {
    const first = await hub.begin(head(), "login.py");
    await first.respond([]);
    await first.finish();
    const login = await hub.begin(head(`WSSESSID=${first.id}`), "login.py");
    await login.respond([["X-Session", "regenerate"]]);
    const followUp = hub.begin(head(`WSSESSID=${login.id}`), "login.py");
    await Deno.writeTextFile(login.file, '{"user":"demo"}');
    await login.finish();
    const s = await followUp;
    assert.equal(s.id, login.id);
    assert.equal(await Deno.readTextFile(s.file), '{"user":"demo"}');
    await s.finish();
  });
});

Deno.test("buildCgiEnv() adds SESSION_ID and SESSION_FILE when a session is given", () => {
  const input = {
    head: head(),
    scriptName: "/s.py",
    scriptFilename: "/srv/s.py",
    pathInfo: "",
    documentRoot: "/srv",
    host: "",
    serverNames: [],
    local: { hostname: "127.0.0.1", port: 80 },
    remote: { hostname: "127.0.0.1", port: 5000 },
    contentLength: null,
  };
  const without = buildCgiEnv(input);
  assert.equal(without.SESSION_ID, undefined);
  assert.equal(without.SESSION_FILE, undefined);
  const env = buildCgiEnv({ ...input, session: { id: "abc", file: "/tmp/s/x.json" } });
  assert.equal(env.SESSION_ID, "abc");
  assert.equal(env.SESSION_FILE, "/tmp/s/x.json");
});
