import assert from "node:assert/strict";
import {
  type AccessMatch,
  type AccessRemote,
  type AccessRule,
  checkAccess,
  parseAccessRule,
} from "../../../lib/access/cidr.ts";

const FULL6 = [0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff] as const;
const ZERO6 = [0, 0, 0, 0, 0, 0, 0, 0] as const;

function v4(addr: number, mask = 0xffffffff): AccessMatch {
  return { family: "ipv4", addr, mask };
}

function v6(addr: readonly number[], mask: readonly number[] = FULL6): AccessMatch {
  return { family: "ipv6", addr, mask } as AccessMatch;
}

/** [argument, match, warning (undefined: none)]; the values `nginx -t` (1.22) accepts. */
const VALID: Array<[text: string, match: AccessMatch, warning?: string]> = [
  ["all", { family: "all" }],
  ["unix:", { family: "unix" }],
  ["1.2.3.4", v4(0x01020304)],
  ["0.0.0.0", v4(0)],
  ["127.0.0.1", v4(0x7f000001)],
  ["255.255.255.254", v4(0xfffffffe)],
  ["010.0.0.1", v4(0x0a000001)], // leading zeros are decimal, not octal
  ["1..2.3", v4(0x01000203)], // nginx reads an empty octet as 0
  [".1.2.3", v4(0x00010203)],
  ["1.2.3.", v4(0x01020300)],
  ["10.0.0.0/8", v4(0x0a000000, 0xff000000)],
  ["192.168.1.0/24", v4(0xc0a80100, 0xffffff00)],
  ["1.2.3.4/32", v4(0x01020304)],
  ["0.0.0.0/0", v4(0, 0)],
  ["128.0.0.0/1", v4(0x80000000, 0x80000000)],
  ["1.2.3.4/08", v4(0x01000000, 0xff000000), "low address bits of 1.2.3.4/08 are meaningless"],
  ["10.1.2.3/8", v4(0x0a000000, 0xff000000), "low address bits of 10.1.2.3/8 are meaningless"],
  ["1.2.3.4/0", v4(0, 0), "low address bits of 1.2.3.4/0 are meaningless"],
  ["1.2.3.5/31", v4(0x01020304, 0xfffffffe), "low address bits of 1.2.3.5/31 are meaningless"],
  ["::", v6(ZERO6)],
  ["::1", v6([0, 0, 0, 0, 0, 0, 0, 1])],
  ["1::", v6([1, 0, 0, 0, 0, 0, 0, 0])],
  ["2001:db8::1", v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])],
  ["2001:DB8::A:b", v6([0x2001, 0xdb8, 0, 0, 0, 0, 0xa, 0xb])],
  ["2001:0db8:0000:0000:0000:ff00:0042:8329", v6([0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329])],
  ["1:2:3:4:5:6:7:8", v6([1, 2, 3, 4, 5, 6, 7, 8])],
  ["1:2:3::6:7:8", v6([1, 2, 3, 0, 0, 6, 7, 8])],
  ["::2:3:4:5:6:7:8", v6([0, 2, 3, 4, 5, 6, 7, 8])],
  [":1:2:3:4:5:6:7:8", v6([1, 2, 3, 4, 5, 6, 7, 8])], // nginx skips one leading colon
  ["::ffff:1.2.3.4", v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304])],
  ["::FFFF:1.2.3.4", v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304])],
  ["::1.2.3.4", v6([0, 0, 0, 0, 0, 0, 0x0102, 0x0304])],
  ["1:2:3:4:5:6:1.2.3.4", v6([1, 2, 3, 4, 5, 6, 0x0102, 0x0304])],
  ["::/0", v6(ZERO6, ZERO6)],
  ["::1/128", v6([0, 0, 0, 0, 0, 0, 0, 1])],
  ["2001:db8::/32", v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], [0xffff, 0xffff, 0, 0, 0, 0, 0, 0])],
  ["fe80::/10", v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], [0xffc0, 0, 0, 0, 0, 0, 0, 0])],
  [
    "::ffff:0.0.0.0/96",
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], [0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0, 0]),
  ],
  [
    "2001:DB8::1/32",
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], [0xffff, 0xffff, 0, 0, 0, 0, 0, 0]),
    "low address bits of 2001:DB8::1/32 are meaningless",
  ],
  [
    "::ffff:1.2.3.4/120",
    v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0300], [...FULL6.slice(0, 7), 0xff00]),
    "low address bits of ::ffff:1.2.3.4/120 are meaningless",
  ],
  [
    "1:2:3:4:5:6:7:8/64",
    v6([1, 2, 3, 4, 0, 0, 0, 0], [0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0]),
    "low address bits of 1:2:3:4:5:6:7:8/64 are meaningless",
  ],
  ["::1/0", v6(ZERO6, ZERO6), "low address bits of ::1/0 are meaningless"],
];

for (const [text, match, warning] of VALID) {
  Deno.test(`parseAccessRule() accepts "${text}"`, () => {
    const expected = warning === undefined
      ? { rule: { action: "deny", match } }
      : { rule: { action: "deny", match }, warning };
    assert.deepEqual(parseAccessRule("deny", text), expected);
  });
}

/** Arguments `nginx -t` (1.22) refuses with `invalid parameter "x"`. */
const INVALID: string[] = [
  "",
  "ALL",
  "All",
  "unix",
  "unix:/run/app.sock",
  "localhost",
  "example.org",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "1.2.3.256",
  "255.255.255.255", // nginx's INADDR_NONE
  "255.255.255.255/32",
  "1.2.3.4 ",
  " 1.2.3.4",
  "0x7f.0.0.1",
  "1.2.3.4/33",
  "1.2.3.4/",
  "1.2.3.4/+8",
  "1.2.3.4/-1",
  "1.2.3.4/8/9",
  "1.2.3.0/24x",
  "1.2.3.4/99999999999999999999",
  "/8",
  "::1/129",
  "::1/-1",
  "::1/",
  "fe80::1%eth0",
  "[::1]",
  "[::1]/128",
  "1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7:8:",
  "1:2:3:4:5:6:7::", // nginx refuses "::" for a single last group
  "1::2::3",
  "1:::",
  ":::",
  ":",
  "12345::",
  "g::1",
  "::ffff:1.2.3",
  "::ffff:255.255.255.255",
  "::ffff:1.2.3.4:5",
  "1:2:3:4:5:6:7:1.2.3.4",
  ":1.2.3.4",
  "::ffff:a.2.3.4",
];

for (const text of INVALID) {
  Deno.test(`parseAccessRule() refuses "${text}"`, () => {
    assert.deepEqual(parseAccessRule("allow", text), { error: `invalid parameter "${text}"` });
  });
}

Deno.test("parseAccessRule() keeps the action", () => {
  for (const action of ["allow", "deny"] as const) {
    const parsed = parseAccessRule(action, "10.0.0.0/8");
    assert.ok("rule" in parsed);
    assert.equal(parsed.rule.action, action);
  }
});

/** Rules from `"allow 10.0.0.0/8"`-style lines, as written in a configuration. */
function rules(...lines: string[]): AccessRule[] {
  return lines.map((line) => {
    const [action, text] = line.split(" ") as ["allow" | "deny", string];
    const parsed = parseAccessRule(action, text);
    if ("error" in parsed) throw new Error(parsed.error);
    return parsed.rule;
  });
}

function tcp(hostname: string): AccessRemote {
  return { transport: "tcp", hostname };
}

const UNIX_CLIENT = { transport: "unix", path: "/run/webserv.sock" };

/** [description, rules, client, decision (null: no rule matched)] */
const MATCHES: Array<[string, AccessRule[], AccessRemote, "allow" | "deny" | null]> = [
  ["no rules", [], tcp("1.2.3.4"), null],
  ["allow all", rules("allow all"), tcp("1.2.3.4"), "allow"],
  ["deny all, IPv4", rules("deny all"), tcp("1.2.3.4"), "deny"],
  ["deny all, IPv6", rules("deny all"), tcp("2001:db8::1"), "deny"],
  ["deny all, Unix socket", rules("deny all"), UNIX_CLIENT, "deny"],
  ["deny all, mapped", rules("deny all"), tcp("::ffff:1.2.3.4"), "deny"],
  // First match wins.
  ["allow before deny all", rules("allow 1.2.3.4", "deny all"), tcp("1.2.3.4"), "allow"],
  ["deny all before allow", rules("deny all", "allow 1.2.3.4"), tcp("1.2.3.4"), "deny"],
  [
    "deny a host inside an allowed net",
    rules("deny 192.168.1.1", "allow 192.168.1.0/24", "deny all"),
    tcp("192.168.1.1"),
    "deny",
  ],
  [
    "allow the rest of the net",
    rules("deny 192.168.1.1", "allow 192.168.1.0/24", "deny all"),
    tcp("192.168.1.2"),
    "allow",
  ],
  [
    "fall through to deny all",
    rules("deny 192.168.1.1", "allow 192.168.1.0/24", "deny all"),
    tcp("192.168.2.1"),
    "deny",
  ],
  ["no rule matches", rules("allow 10.0.0.0/8"), tcp("11.0.0.1"), null],
  // IPv4 edges.
  ["/32 matches only itself", rules("allow 1.2.3.4/32"), tcp("1.2.3.4"), "allow"],
  ["/32 is not its neighbour", rules("allow 1.2.3.4/32"), tcp("1.2.3.5"), null],
  ["/0 matches every IPv4 client", rules("deny 0.0.0.0/0"), tcp("203.0.113.9"), "deny"],
  ["/0 is IPv4 only", rules("deny 0.0.0.0/0"), tcp("2001:db8::1"), null],
  ["/8 first address", rules("allow 10.0.0.0/8"), tcp("10.0.0.0"), "allow"],
  ["/8 last address", rules("allow 10.0.0.0/8"), tcp("10.255.255.255"), "allow"],
  ["/1 high half", rules("deny 128.0.0.0/1"), tcp("255.255.255.254"), "deny"],
  ["/1 low half", rules("deny 128.0.0.0/1"), tcp("127.255.255.255"), null],
  ["masked low bits", rules("allow 10.1.2.3/8"), tcp("10.200.0.1"), "allow"],
  ["/31 pair", rules("allow 1.2.3.5/31"), tcp("1.2.3.4"), "allow"],
  // IPv6.
  ["IPv6 host", rules("allow 2001:db8::1"), tcp("2001:db8::1"), "allow"],
  ["IPv6 host, other form", rules("allow 2001:DB8:0:0::0:1"), tcp("2001:db8::1"), "allow"],
  ["IPv6 host, neighbour", rules("allow 2001:db8::1"), tcp("2001:db8::2"), null],
  ["IPv6 /32", rules("deny 2001:db8::/32"), tcp("2001:db8:ffff::1"), "deny"],
  ["IPv6 /32, outside", rules("deny 2001:db8::/32"), tcp("2001:db9::1"), null],
  ["IPv6 /10", rules("deny fe80::/10"), tcp("febf::1"), "deny"],
  ["IPv6 /10, outside", rules("deny fe80::/10"), tcp("fec0::1"), null],
  ["IPv6 /128", rules("allow ::1/128"), tcp("::1"), "allow"],
  ["IPv6 /128, neighbour", rules("allow ::1/128"), tcp("::2"), null],
  ["IPv6 /127", rules("allow ::2/127"), tcp("::3"), "allow"],
  ["IPv6 /0 matches every IPv6 client", rules("deny ::/0"), tcp("ffff::ffff"), "deny"],
  ["IPv6 /0 is IPv6 only", rules("deny ::/0"), tcp("1.2.3.4"), null],
  ["IPv6 client with a zone id", rules("deny fe80::/10"), tcp("fe80::1%eth0"), "deny"],
  ["IPv4 rule, IPv6 client", rules("allow 1.2.3.4"), tcp("2001:db8::1"), null],
  ["IPv6 rule, IPv4 client", rules("allow ::ffff:1.2.3.4"), tcp("1.2.3.4"), null],
  // IPv4-mapped clients are matched as IPv4 when there is any IPv4 rule or `all`.
  ["mapped client, IPv4 rule", rules("allow 1.2.3.4"), tcp("::ffff:1.2.3.4"), "allow"],
  ["mapped client, IPv4 net", rules("deny 1.2.0.0/16"), tcp("::FFFF:1.2.200.4"), "deny"],
  ["mapped client, hex form", rules("allow 1.2.3.4"), tcp("::ffff:102:304"), "allow"],
  ["mapped client, IPv4 miss", rules("allow 1.2.3.4"), tcp("::ffff:1.2.3.5"), null],
  [
    "mapped client skips the IPv6 rules",
    rules("deny ::ffff:0:0/96", "allow 1.2.3.4"),
    tcp("::ffff:1.2.3.4"),
    "allow",
  ],
  [
    "mapped client, IPv6 rule before deny all",
    rules("allow ::ffff:1.2.3.4", "deny all"),
    tcp("::ffff:1.2.3.4"),
    "deny",
  ],
  [
    "mapped client, only IPv6 rules",
    rules("allow ::ffff:1.2.3.4"),
    tcp("::ffff:1.2.3.4"),
    "allow",
  ],
  ["mapped client, only an IPv6 /0", rules("deny ::/0"), tcp("::ffff:127.0.0.1"), "deny"],
  ["mapped client, only IPv6 rules, miss", rules("deny ::/128"), tcp("::ffff:1.2.3.4"), null],
  ["compatible is not mapped", rules("allow 1.2.3.4"), tcp("::1.2.3.4"), null],
  ["IPv4 client, mapped-looking IPv6 rule", rules("deny ::ffff:0:0/96"), tcp("1.2.3.4"), null],
  // Unix sockets.
  ["unix: matches a Unix client", rules("deny unix:", "allow all"), UNIX_CLIENT, "deny"],
  ["unix: does not match IPv4", rules("deny unix:"), tcp("127.0.0.1"), null],
  ["unix: does not match IPv6", rules("deny unix:"), tcp("::1"), null],
  ["IP rules do not match Unix", rules("deny 0.0.0.0/0", "deny ::/0"), UNIX_CLIENT, null],
  ["unixpacket is a Unix client", rules("allow unix:"), { transport: "unixpacket" }, "allow"],
  // Unreadable addresses.
  ["unreadable address, IP rules", rules("allow 0.0.0.0/0", "allow ::/0"), tcp("x"), null],
  ["unreadable address, all", rules("allow 0.0.0.0/0", "deny all"), tcp("x"), "deny"],
];

for (const [description, list, remote, decision] of MATCHES) {
  Deno.test(`checkAccess() returns ${decision}: ${description}`, () => {
    assert.equal(checkAccess(list, remote), decision);
  });
}

Deno.test("checkAccess() takes a Deno.Addr", () => {
  const addr: Deno.Addr = { transport: "tcp", hostname: "10.0.0.1", port: 1234 };
  assert.equal(checkAccess(rules("allow 10.0.0.0/8"), addr), "allow");
  const unix: Deno.Addr = { transport: "unix", path: "/run/webserv.sock" };
  assert.equal(checkAccess(rules("deny unix:"), unix), "deny");
});
