/**
 * The ACME client against a scripted fake CA (plain HTTP on loopback, which the client allows
 * for loopback hosts only): what the directory check refuses, time-outs, badNonce retries,
 * problem documents, poll bounds and Retry-After, cleanup after failures and aborts. The real
 * protocol run is tests/integration/acme_pebble_test.ts.
 *
 * The fake CA checks every POST as a CA would: a flattened JWS whose protected url is the URL
 * posted to, whose nonce it issued and was not used before, with jwk on newAccount and kid
 * elsewhere, and whose ES256 signature verifies with the account key.
 */
import assert from "node:assert/strict";
import { decodeBase64Url } from "../../../lib/acme/base64url.ts";
import {
  AcmeClient,
  type AcmeClientOptions,
  AcmeError,
  type AcmeEvent,
  normalizeNames,
} from "../../../lib/acme/client.ts";
import { generateKeyPair } from "../../../lib/acme/keys.ts";

type Route = (payload: unknown, request: Request) => Response | Promise<Response>;

interface FakeCa {
  base: string;
  posts: string[];
  /** Nonces handed out, in order. */
  nonces: string[];
}

const ACCOUNT = "/acct/1";

/** A problem document answer, with a fresh nonce. */
function problem(
  status: number,
  type: string,
  detail: string,
  headers: Record<string, string> = {},
) {
  return Response.json({ type: `urn:ietf:params:acme:error:${type}`, detail, status }, {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

async function withFakeCa(
  routes: Record<string, Route>,
  fn: (ca: FakeCa) => Promise<void>,
): Promise<void> {
  const issued = new Set<string>();
  let counter = 0;
  let accountKey: CryptoKey | undefined;
  const ca: FakeCa = { base: "", posts: [], nonces: [] };
  const hung: (() => void)[] = [];
  const nonce = () => {
    const n = `nonce${++counter}`;
    issued.add(n);
    ca.nonces.push(n);
    return n;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/hang") {
      await new Promise<void>((resolve) => hung.push(resolve));
      return new Response("late");
    }
    if (path === "/dir") {
      return Response.json({
        newNonce: `${ca.base}/nonce`,
        newAccount: `${ca.base}/new-account`,
        newOrder: `${ca.base}/new-order`,
      });
    }
    if (path === "/nonce") return new Response(null, { headers: { "replay-nonce": nonce() } });
    const route = routes[path];
    if (route === undefined) return new Response("not found", { status: 404 });
    if (request.method !== "POST") return route(undefined, request);
    ca.posts.push(path);
    const jws = await request.json();
    const header = JSON.parse(new TextDecoder().decode(decodeBase64Url(jws.protected)));
    assert.equal(header.alg, "ES256");
    assert.equal(header.url, `${ca.base}${path}`);
    assert.ok(issued.delete(header.nonce), `nonce ${header.nonce} issued once, used once`);
    if (path === "/new-account") {
      assert.ok(header.jwk !== undefined && header.kid === undefined);
      accountKey = await crypto.subtle.importKey(
        "jwk",
        header.jwk,
        {
          name: "ECDSA",
          namedCurve: "P-256",
        },
        true,
        ["verify"],
      );
    } else {
      assert.equal(header.kid, `${ca.base}${ACCOUNT}`);
    }
    assert.ok(accountKey !== undefined);
    assert.ok(
      await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        accountKey,
        decodeBase64Url(jws.signature),
        new TextEncoder().encode(`${jws.protected}.${jws.payload}`),
      ),
      "the signature verifies",
    );
    const payload = jws.payload === ""
      ? undefined
      : JSON.parse(new TextDecoder().decode(decodeBase64Url(jws.payload)));
    const response = await route(payload, request);
    response.headers.set("replay-nonce", nonce());
    return response;
  });
  ca.base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await fn(ca);
  } finally {
    for (const resolve of hung) resolve();
    await server.shutdown();
  }
}

async function open(
  ca: FakeCa,
  options: Partial<AcmeClientOptions> = {},
): Promise<AcmeClient> {
  return await AcmeClient.open({
    directoryUrl: `${ca.base}/dir`,
    accountKey: await generateKeyPair(),
    timeoutMs: 2000,
    ...options,
  });
}

const newAccount: Route = () =>
  Response.json({ status: "valid", contact: [] }, {
    status: 201,
    headers: { location: ACCOUNT },
  });

/** An order with one authorization whose http-01 challenge never completes. */
function stuckOrder(ca: () => string, authzHeaders: Record<string, string> = {}) {
  const order = () => ({
    status: "pending",
    authorizations: [`${ca()}/authz/1`],
    finalize: `${ca()}/finalize/1`,
  });
  return {
    "/new-account": newAccount,
    "/new-order": () => Response.json(order(), { status: 201, headers: { location: "/order/1" } }),
    "/order/1": () => Response.json(order()),
    "/authz/1": () =>
      Response.json({
        status: "pending",
        identifier: { type: "dns", value: "a.example.test" },
        challenges: [
          { type: "dns-01", url: `${ca()}/chall/dns`, status: "pending", token: "dnstoken" },
          { type: "http-01", url: `${ca()}/chall/1`, status: "pending", token: "tok-1_A" },
        ],
      }, { headers: authzHeaders }),
    "/chall/1": () =>
      Response.json({ type: "http-01", url: `${ca()}/chall/1`, status: "processing" }),
  } satisfies Record<string, Route>;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(() => assert.fail("resolved"), (e) => e);
}

Deno.test("client: a directory URL that is no URL, or plain http off loopback, is refused", async () => {
  const accountKey = await generateKeyPair();
  for (const directoryUrl of ["not a url", "http://example.com/directory", "ftp://127.0.0.1/"]) {
    const error = await rejection(AcmeClient.open({ directoryUrl, accountKey }));
    assert.ok(error instanceof AcmeError, String(error));
    assert.equal(error.url, directoryUrl);
    assert.ok(error.message.includes(directoryUrl), error.message);
  }
});

Deno.test("client: a directory that is missing, not JSON or not a directory is an AcmeError naming it", async () => {
  await withFakeCa({
    "/text": () => new Response("hello"),
    "/json": () => Response.json({ newNonce: "x" }),
  }, async (ca) => {
    const accountKey = await generateKeyPair();
    const cases: [string, RegExp, number | undefined][] = [
      ["/missing", /404 not found/, 404],
      ["/text", /not a JSON object/, 200],
      ["/json", /no "newNonce" URL/, undefined],
    ];
    for (const [path, message, status] of cases) {
      const directoryUrl = `${ca.base}${path}`;
      const error = await rejection(AcmeClient.open({ directoryUrl, accountKey }));
      assert.ok(error instanceof AcmeError, String(error));
      assert.match(error.message, message);
      assert.ok(error.message.includes(directoryUrl), error.message);
      assert.equal(error.url, directoryUrl);
      assert.equal(error.status, status);
    }
  });
});

Deno.test("client: a refused connection is an AcmeError with the URL and no status", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const directoryUrl = `http://127.0.0.1:${listener.addr.port}/dir`;
  listener.close();
  const error = await rejection(
    AcmeClient.open({ directoryUrl, accountKey: await generateKeyPair() }),
  );
  assert.ok(error instanceof AcmeError, String(error));
  assert.equal(error.url, directoryUrl);
  assert.equal(error.status, undefined);
  assert.equal(error.timedOut, false);
});

Deno.test("client: a CA that does not answer times out after timeoutMs", async () => {
  await withFakeCa({}, async (ca) => {
    const started = performance.now();
    const error = await rejection(open(ca, { directoryUrl: `${ca.base}/hang`, timeoutMs: 200 }));
    const elapsed = performance.now() - started;
    assert.ok(error instanceof AcmeError, String(error));
    assert.ok(error.timedOut);
    assert.match(error.message, /no complete answer within 200 ms/);
    assert.ok(elapsed >= 180 && elapsed < 2000, `${elapsed} ms`);
  });
});

Deno.test("client: badNonce is retried with the nonce of the error, up to badNonceRetries", async () => {
  let refusals = 2;
  await withFakeCa({
    "/new-account": (payload) => {
      if (refusals-- > 0) return problem(400, "badNonce", "stale nonce");
      assert.deepEqual(payload, { termsOfServiceAgreed: true, contact: ["mailto:a@example.test"] });
      return newAccount(payload, new Request("http://x"));
    },
  }, async (ca) => {
    const events: AcmeEvent[] = [];
    using client = await open(ca, {
      contact: ["mailto:a@example.test"],
      onEvent: (e) => events.push(e),
    });
    const account = await client.ensureAccount();
    assert.deepEqual(account, {
      url: `${ca.base}${ACCOUNT}`,
      status: "valid",
      contact: [],
      created: true,
    });
    assert.equal(client.accountUrl, `${ca.base}${ACCOUNT}`);
    assert.deepEqual(
      events.filter((e) => e.type === "badNonce").map((e) => e.type === "badNonce" && e.attempt),
      [
        1,
        2,
      ],
    );
    assert.deepEqual(ca.posts, ["/new-account", "/new-account", "/new-account"]);
    // One HEAD of newNonce; the retries used the nonces of the error answers.
    const heads = events.filter((e) => e.type === "request" && e.method === "HEAD");
    assert.equal(heads.length, 1);
    // Cached: no second newAccount.
    await client.ensureAccount();
    assert.equal(ca.posts.length, 3);
  });
});

Deno.test("client: badNonce beyond the retries is an AcmeError of that type", async () => {
  await withFakeCa({
    "/new-account": () => problem(400, "badNonce", "never good"),
  }, async (ca) => {
    using client = await open(ca, { badNonceRetries: 3 });
    const error = await rejection(client.ensureAccount());
    assert.ok(error instanceof AcmeError, String(error));
    assert.equal(error.acmeType, "badNonce");
    assert.equal(error.detail, "never good");
    assert.equal(error.status, 400);
    assert.equal(ca.posts.length, 4);
  });
});

Deno.test("client: a problem document becomes the AcmeError's type, detail, status and Retry-After", async () => {
  await withFakeCa({
    "/new-account": newAccount,
    "/new-order": () => problem(429, "rateLimited", "too many orders", { "retry-after": "120" }),
  }, async (ca) => {
    using client = await open(ca);
    const error = await rejection(
      client.obtain(["a.example.test"], { provision() {}, cleanup() {} }),
    );
    assert.ok(error instanceof AcmeError, String(error));
    assert.equal(error.type, "urn:ietf:params:acme:error:rateLimited");
    assert.equal(error.acmeType, "rateLimited");
    assert.equal(error.detail, "too many orders");
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 120_000);
    assert.equal(error.url, `${ca.base}/new-order`);
    assert.match(
      error.message,
      /new-order: 429 urn:ietf:params:acme:error:rateLimited: too many orders/,
    );
  });
});

Deno.test("client: an authorization stuck pending times out; Retry-After is capped; cleanup runs", async () => {
  let base = "";
  await withFakeCa(stuckOrder(() => base, { "retry-after": "30" }), async (ca) => {
    base = ca.base;
    const events: AcmeEvent[] = [];
    using client = await open(ca, {
      pollTimeoutMs: 400,
      maxPollIntervalMs: 100,
      onEvent: (e) => events.push(e),
    });
    const provisioned: string[] = [];
    const cleaned: string[] = [];
    const started = performance.now();
    const error = await rejection(client.obtain(["A.Example.Test."], {
      provision(token, keyAuthorization, identifier) {
        provisioned.push(`${identifier} ${token} ${keyAuthorization}`);
      },
      cleanup(token, identifier) {
        cleaned.push(`${identifier} ${token}`);
      },
    }));
    const elapsed = performance.now() - started;
    assert.ok(error instanceof AcmeError, String(error));
    assert.ok(error.timedOut);
    assert.equal(error.url, `${ca.base}/authz/1`);
    assert.match(
      error.message,
      /authorization of a\.example\.test .* is still "pending" after 400 ms/,
    );
    assert.deepEqual(provisioned, [`a.example.test tok-1_A tok-1_A.${client.thumbprint}`]);
    assert.deepEqual(cleaned, ["a.example.test tok-1_A"]);
    const delays = events.flatMap((e) => e.type === "poll" ? [e.delayMs] : []);
    assert.ok(delays.length >= 3, `${delays}`);
    assert.ok(delays.every((d) => d <= 100), `${delays}`);
    assert.ok(elapsed < 2000, `${elapsed} ms`);
    assert.ok(ca.posts.includes("/chall/1"), "the challenge was answered");
    assert.ok(!ca.posts.includes("/chall/dns"), "the dns-01 challenge was left alone");
  });
});

Deno.test("client: aborting obtain rejects with the reason, after the cleanup", async () => {
  let base = "";
  await withFakeCa(stuckOrder(() => base), async (ca) => {
    base = ca.base;
    using client = await open(ca, { pollIntervalMs: 50 });
    const cleaned: string[] = [];
    const controller = new AbortController();
    const reason = new Error("shutting down");
    const obtained = client.obtain(["a.example.test"], {
      provision() {
        setTimeout(() => controller.abort(reason), 150);
      },
      cleanup(token) {
        cleaned.push(token);
      },
    }, { signal: controller.signal });
    assert.equal(await rejection(obtained), reason);
    assert.deepEqual(cleaned, ["tok-1_A"]);
  });
});

Deno.test("client: a solver that throws is passed on, and what it provisioned is cleaned up", async () => {
  let base = "";
  await withFakeCa(stuckOrder(() => base), async (ca) => {
    base = ca.base;
    using client = await open(ca);
    const cleaned: string[] = [];
    const failure = new Error("cannot serve that");
    const error = await rejection(client.obtain(["a.example.test"], {
      provision() {
        throw failure;
      },
      cleanup(token) {
        cleaned.push(token);
      },
    }));
    assert.equal(error, failure);
    assert.deepEqual(cleaned, ["tok-1_A"]);
    assert.ok(!ca.posts.includes("/chall/1"), "no challenge answered when provisioning failed");
  });
});

Deno.test("client: names are lower-cased, IDNs turned into A-labels, duplicates dropped", () => {
  assert.deepEqual(
    normalizeNames(["Example.COM.", "example.com", "Bücher.example", "*.Example.com"]),
    [
      "example.com",
      "xn--bcher-kva.example",
      "*.example.com",
    ],
  );
  for (const bad of [[], [""], ["a b.example"], ["a/b.example"], ["user@example.com"]]) {
    assert.throws(() => normalizeNames(bad), TypeError, JSON.stringify(bad));
  }
});
