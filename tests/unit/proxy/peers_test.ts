/**
 * The choice of an upstream's server (lib/proxy/peers.ts) against nginx's round robin
 * (src/http/ngx_http_upstream_round_robin.c, ngx_http_upstream_get_peer and
 * ngx_http_upstream_free_round_robin_peer): the smooth weighted order, down servers, max_fails
 * within fail_timeout, backups, the lone-server rule and "no live upstreams". Time is passed
 * explicitly (`now`, in ms); nothing sleeps.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/load.ts";
import type { UpstreamSettings } from "../../../lib/config/types.ts";
import { Peers } from "../../../lib/proxy/peers.ts";

const T0 = 1_700_000_000_000;
const SECOND = 1000;
const NOTHING_TRIED: ReadonlySet<number> = new Set();

/**
 * The upstream of `servers` lines, as the configuration reads it. Server i listens on port i + 1
 * and is called by the i-th letter: "a", "b", "c"…
 */
function upstream(...servers: string[]): UpstreamSettings {
  const lines = servers.map((params, i) => `server 127.0.0.1:${i + 1} ${params};\n`).join("");
  const settings = parseConfig(`upstream u {\n${lines}}\nserver {}\n`, "t.conf").upstreams.get("u");
  assert.ok(settings !== undefined);
  return settings;
}

const letter = (index: number | null) => index === null ? null : String.fromCharCode(97 + index);

/** `n` picks by fresh requests (nothing tried yet), each at `now`, as letters. */
function picks(peers: Peers, n: number, now = T0): string {
  let out = "";
  for (let i = 0; i < n; i++) out += letter(peers.pick(NOTHING_TRIED, now)) ?? "-";
  return out;
}

/** The servers one request goes through when each one it tries fails (until pick gives null). */
function oneRequestFailing(peers: Peers, now: number): string {
  const tried = new Set<number>();
  let out = "";
  for (let server = peers.pick(tried, now); server !== null; server = peers.pick(tried, now)) {
    tried.add(server);
    peers.failed(server, now);
    out += letter(server);
  }
  return out;
}

// --- Smooth weighted round robin -------------------------------------------------------------

Deno.test("weights 5, 1, 1 give nginx's smooth order a a b a c a a, cycle after cycle", () => {
  const peers = new Peers(upstream("weight=5", "", ""));
  assert.equal(picks(peers, 7), "aabacaa");
  assert.equal(picks(peers, 14), "aabacaa".repeat(2));
});

Deno.test("equal weights take turns in the order of the file", () => {
  assert.equal(picks(new Peers(upstream("", "", "")), 9), "abc".repeat(3));
  // Equal weights other than 1 are the same rotation.
  assert.equal(picks(new Peers(upstream("weight=4", "weight=4")), 6), "ababab");
});

Deno.test("other weights: each server's share over a cycle is its weight, spread out", () => {
  // 3, 2: current weights (3,2) → a (-2,2) → (1,4) b → (4,-1) a → (2,3)… → a b a b a.
  assert.equal(picks(new Peers(upstream("weight=3", "weight=2")), 10), "ababa".repeat(2));
  assert.equal(picks(new Peers(upstream("weight=2", "weight=1")), 6), "abaaba");
  const counts = new Map<string, number>();
  for (const c of picks(new Peers(upstream("weight=7", "weight=2", "weight=1")), 100)) {
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.deepEqual([counts.get("a"), counts.get("b"), counts.get("c")], [70, 20, 10]);
});

Deno.test("a down server is never chosen; the others keep their order", () => {
  const peers = new Peers(upstream("", "down", ""));
  assert.equal(picks(peers, 6), "acacac");
  assert.equal(letter(peers.pick(new Set([0]), T0)), "c");
  const weighted = new Peers(upstream("weight=5", "down", "", ""));
  // As 5, 1, 1 without it: a a c a d a a.
  assert.equal(picks(weighted, 7), "aacadaa");
});

Deno.test("servers the request already tried are passed over", () => {
  const peers = new Peers(upstream("weight=5", "", ""));
  assert.equal(letter(peers.pick(new Set([0]), T0)), "b");
  assert.equal(letter(peers.pick(new Set([0, 1]), T0)), "c");
  assert.equal(letter(peers.pick(new Set([1, 2]), T0)), "a");
});

// --- max_fails and fail_timeout ----------------------------------------------------------------

Deno.test("max_fails failures within fail_timeout make the server skipped; fewer do not", () => {
  const peers = new Peers(upstream("max_fails=2 fail_timeout=10s", ""));
  peers.failed(0, T0);
  // One failure of two: still in the rotation.
  assert.equal(picks(peers, 4, T0 + SECOND), "abab");
  peers.failed(0, T0 + 2 * SECOND);
  assert.equal(picks(peers, 4, T0 + 3 * SECOND), "bbbb");
});

Deno.test("a failed server is skipped for fail_timeout after its last failure, then tried again", () => {
  const peers = new Peers(upstream("fail_timeout=10s", ""));
  peers.failed(0, T0);
  assert.equal(picks(peers, 3, T0), "bbb");
  // nginx: skipped while now - checked <= fail_timeout.
  assert.equal(picks(peers, 3, T0 + 10 * SECOND), "bbb");
  assert.match(picks(peers, 2, T0 + 10 * SECOND + 1), /a/);
  // Tried again, it answered: its failure is forgotten, and it is back in the rotation (its
  // effective weight, cut by the failure, grows back by one a pick: the order may shift).
  peers.succeeded(0);
  assert.equal([...picks(peers, 4, T0 + 10 * SECOND + 2)].sort().join(""), "aabb");
});

Deno.test("fail_timeout is per server", () => {
  const peers = new Peers(upstream("fail_timeout=2s", "fail_timeout=30s", ""));
  peers.failed(0, T0);
  peers.failed(1, T0);
  assert.equal(picks(peers, 2, T0 + SECOND), "cc");
  const later = picks(peers, 4, T0 + 3 * SECOND);
  assert.ok(later.includes("a") && !later.includes("b"), later);
});

Deno.test("an answer within fail_timeout does not forget the failures; one after it does", () => {
  const within = new Peers(upstream("max_fails=2 fail_timeout=10s", ""));
  within.failed(0, T0);
  within.succeeded(0);
  within.failed(0, T0 + 6 * SECOND);
  assert.equal(picks(within, 4, T0 + 7 * SECOND), "bbbb");

  // nginx forgets failures only on an answer to a request that probed the server after
  // fail_timeout (its `accessed < checked` rule), not because time passed.
  const after = new Peers(upstream("max_fails=2 fail_timeout=10s", ""));
  after.failed(0, T0);
  assert.match(picks(after, 2, T0 + 11 * SECOND), /a/);
  after.succeeded(0);
  after.failed(0, T0 + 12 * SECOND);
  assert.match(picks(after, 4, T0 + 13 * SECOND), /a/);
  const unanswered = new Peers(upstream("max_fails=2 fail_timeout=10s", ""));
  unanswered.failed(0, T0);
  unanswered.failed(0, T0 + 12 * SECOND);
  assert.equal(picks(unanswered, 4, T0 + 13 * SECOND), "bbbb");
});

Deno.test("max_fails=0: failures are never counted against the server", () => {
  const peers = new Peers(upstream("max_fails=0", ""));
  for (let i = 0; i < 100; i++) peers.failed(0, T0);
  assert.equal(picks(peers, 4, T0), "abab");
  assert.equal(letter(peers.pick(new Set([1]), T0)), "a");
});

Deno.test("a failure reported for an unknown server index is ignored", () => {
  const peers = new Peers(upstream("", ""));
  peers.failed(7, T0);
  peers.succeeded(-1);
  assert.equal(picks(peers, 4, T0), "abab");
});

/*
 * nginx counts a server's failures until an answer that comes after fail_timeout
 * (ngx_http_upstream_free_round_robin_peer: fails++ on each failure; fails = 0 only on a success
 * when accessed < checked). A server tried again after fail_timeout that fails once more has
 * fails > max_fails and checked = now: it is skipped for another fail_timeout at once.
 */
Deno.test("nginx: a server that fails again when tried after fail_timeout is skipped again at once", () => {
  const peers = new Peers(upstream("max_fails=3 fail_timeout=10s", ""));
  for (let i = 0; i < 3; i++) peers.failed(0, T0 + i);
  assert.equal(picks(peers, 4, T0 + SECOND), "bbbb");
  // fail_timeout later it gets a request again, and fails.
  const retry = T0 + 11 * SECOND;
  assert.equal(letter(peers.pick(new Set([1]), retry)), "a");
  peers.failed(0, retry);
  assert.equal(picks(peers, 4, retry + SECOND), "bbbb");
});

/*
 * nginx (ngx_http_upstream_get_peer): once fail_timeout has passed, choosing the server sets
 * `checked = now`, so it stays skipped by every other request until that one's answer resets its
 * failures: one request probes a server that failed, not all of them.
 */
Deno.test("nginx: after fail_timeout one request probes the failed server, others skip it until it answers", () => {
  const peers = new Peers(upstream("fail_timeout=10s", ""));
  peers.failed(0, T0);
  const probe = T0 + 11 * SECOND;
  assert.equal(letter(peers.pick(new Set([1]), probe)), "a");
  // The probe has not answered yet: the next requests go to b.
  assert.equal(picks(peers, 4, probe), "bbbb");
  peers.succeeded(0);
  assert.match(picks(peers, 4, probe + 2), /a/);
});

/*
 * nginx lowers a failed server's effective weight by weight / max_fails (to 0 with max_fails=1)
 * and raises it by one each time it is considered, so a server back from a failure regains its
 * share gradually. Model of ngx_http_upstream_get_peer / free_round_robin_peer for weights
 * 5, 1, 1 after a full cycle, a failure of a, and fail_timeout passed, every request answered:
 * b c a a b a a c a a a b a a.
 */
Deno.test("nginx: a server back from a failure regains its weight one step per pick (effective_weight)", () => {
  const peers = new Peers(upstream("weight=5", "", ""));
  assert.equal(picks(peers, 7, T0), "aabacaa");
  peers.failed(0, T0);
  const now = T0 + 11 * SECOND;
  let order = "";
  for (let i = 0; i < 14; i++) {
    const server = peers.pick(NOTHING_TRIED, now)!;
    peers.succeeded(server);
    order += letter(server);
  }
  assert.equal(order, "bcaabaacaaabaa");
});

// --- Backup servers ---------------------------------------------------------------------------

Deno.test("backup servers get no request while a primary can be used", () => {
  const peers = new Peers(upstream("", "", "backup"));
  assert.equal(picks(peers, 10), "ab".repeat(5));
  // One primary failed: the other one takes everything, still no backup.
  peers.failed(0, T0);
  assert.equal(picks(peers, 4, T0), "bbbb");
});

Deno.test("backup servers take over when every primary is down, failed or tried", () => {
  const allDown = new Peers(upstream("down", "down", "backup", "backup"));
  assert.equal(picks(allDown, 4), "cdcd");

  const failed = new Peers(upstream("", "", "backup"));
  failed.failed(0, T0);
  failed.failed(1, T0);
  assert.equal(picks(failed, 3, T0 + SECOND), "ccc");
  // fail_timeout later each primary is probed by one request; until those are answered the
  // others go to the backup (nginx's `checked`).
  assert.equal(picks(failed, 4, T0 + 11 * SECOND), "abcc");
  failed.succeeded(0);
  failed.succeeded(1);
  assert.equal([...picks(failed, 4, T0 + 12 * SECOND)].sort().join(""), "aabb");

  // Within one request: the primaries it tried, then the backup.
  const tried = new Peers(upstream("", "", "backup"));
  assert.equal(letter(tried.pick(new Set([0, 1]), T0)), "c");
});

Deno.test("backups are weighted among themselves, and a failed backup is skipped too", () => {
  const peers = new Peers(upstream("down", "backup weight=5", "backup", "backup"));
  assert.equal(picks(peers, 7), "bbcbdbb");
  const single = new Peers(upstream("down", "backup", "backup"));
  single.failed(1, T0);
  assert.equal(picks(single, 3, T0), "ccc");
});

Deno.test("a request whose servers all fail goes through each primary once, then each backup", () => {
  const peers = new Peers(upstream("weight=2", "", "backup", "backup"));
  assert.equal(oneRequestFailing(peers, T0), "abcd");
});

// --- The lone server --------------------------------------------------------------------------

Deno.test("a lone server is never skipped, however often it fails (nginx's peers->single)", () => {
  const peers = new Peers(upstream("max_fails=1 fail_timeout=10s"));
  for (let i = 0; i < 10; i++) peers.failed(0, T0);
  assert.equal(picks(peers, 3, T0 + SECOND), "aaa");
});

Deno.test("the lone-server rule is only for one server: with a backup or a second one, max_fails applies", () => {
  const withBackup = new Peers(upstream("", "backup"));
  withBackup.failed(0, T0);
  assert.equal(picks(withBackup, 3, T0), "bbb");

  // A down second server still makes two (nginx counts it in peers->number).
  const withDown = new Peers(upstream("", "down"));
  withDown.failed(0, T0);
  assert.equal(withDown.pick(NOTHING_TRIED, T0), null);
});

Deno.test("a lone server that is down, or already tried, gives null", () => {
  assert.equal(new Peers(upstream("down")).pick(NOTHING_TRIED, T0), null);
  assert.equal(new Peers(upstream("")).pick(new Set([0]), T0), null);
});

// --- No live upstreams -------------------------------------------------------------------------

Deno.test("pick gives null once every server was tried", () => {
  const peers = new Peers(upstream("weight=3", "", "backup"));
  assert.equal(peers.pick(new Set([0, 1, 2]), T0), null);
  // Trying them does not spoil the next request.
  assert.equal(picks(peers, 4, T0), "aaba");
});

Deno.test('"no live upstreams" lasts until a fail_timeout has passed (nginx since 1.11.5)', () => {
  const peers = new Peers(upstream("", "", "backup"));
  for (const server of [0, 1, 2]) peers.failed(server, T0);
  // Within fail_timeout of every failure: nothing to choose, request after request.
  assert.equal(peers.pick(NOTHING_TRIED, T0 + SECOND), null);
  assert.equal(peers.pick(NOTHING_TRIED, T0 + 2 * SECOND), null);
  // Then they are probed again.
  assert.notEqual(peers.pick(NOTHING_TRIED, T0 + 11 * SECOND), null);
});

Deno.test("a down server is never chosen, failed or not", () => {
  const peers = new Peers(upstream("", "down"));
  peers.failed(0, T0);
  assert.equal(peers.pick(NOTHING_TRIED, T0), null);
  assert.equal(picks(peers, 3, T0 + 11 * SECOND), "a--");
});
