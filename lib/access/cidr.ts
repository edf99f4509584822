/**
 * The address rules of nginx's `allow` and `deny` directives (ngx_http_access_module): parsing a
 * rule's address once, at load, and matching a client against the rules on every request.
 *
 * Addresses are parsed as nginx parses them (`ngx_ptocidr`, `ngx_inet_addr`, `ngx_inet6_addr` in
 * src/core/ngx_inet.c), quirks included, so that a value `nginx -t` accepts is accepted here and
 * one it refuses is refused with the same message.
 */

/** An IPv6 address as eight 16-bit groups, most significant first. */
export type Ipv6Groups = readonly [number, number, number, number, number, number, number, number];

/** What a rule's address matches; an address and its mask are stored already masked. */
export type AccessMatch =
  /** `all`: every client, whatever its address family. */
  | { readonly family: "all" }
  /** `unix:`: every client on a Unix-domain socket. */
  | { readonly family: "unix" }
  /** An IPv4 address or CIDR; `addr` and `mask` are unsigned 32-bit numbers. */
  | { readonly family: "ipv4"; readonly addr: number; readonly mask: number }
  /** An IPv6 address or CIDR. */
  | { readonly family: "ipv6"; readonly addr: Ipv6Groups; readonly mask: Ipv6Groups };

/** One `allow` or `deny` directive. */
export type AccessRule = { readonly action: "allow" | "deny"; readonly match: AccessMatch };

/** The client's address as Deno gives it (`Deno.NetAddr` or `Deno.UnixAddr`). */
export type AccessRemote = { readonly transport: string; readonly hostname?: string };

const ALL: AccessMatch = { family: "all" };
const UNIX: AccessMatch = { family: "unix" };

const COLON = 0x3a;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_A = 0x61;
const LOWER_F = 0x66;

/**
 * Parses the argument of `allow` or `deny`: `all`, `unix:`, an IPv4 address or CIDR (`/0`–`/32`),
 * an IPv6 address in any textual form or CIDR (`/0`–`/128`). Bits set beyond the prefix are
 * cleared with nginx's warning; anything else is nginx's `invalid parameter "x"`.
 */
export function parseAccessRule(
  action: "allow" | "deny",
  text: string,
): { rule: AccessRule; warning?: string } | { error: string } {
  // `all` and `unix:` are exact words, as in nginx (`ALL`, `unix:/path` are invalid).
  if (text === "all") return { rule: { action, match: ALL } };
  if (text === "unix:") return { rule: { action, match: UNIX } };

  const invalid = { error: `invalid parameter "${text}"` };
  const slash = text.indexOf("/");
  const end = slash < 0 ? text.length : slash;
  const prefix = slash < 0 ? -1 : parsePrefix(text, slash + 1);
  if (prefix === null) return invalid;

  const v4 = parseIpv4(text, 0, end);
  if (v4 >= 0) {
    if (prefix > 32) return invalid;
    // A shift by 32 is a shift by 0 in JavaScript, as on x86: /0 needs its own case.
    const mask = prefix < 0 ? 0xffffffff : prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const addr = (v4 & mask) >>> 0;
    return withWarning({ action, match: { family: "ipv4", addr, mask } }, addr !== v4, text);
  }

  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  if (!parseIpv6(text, 0, end, groups)) return invalid;
  if (prefix > 128) return invalid;
  const bits = prefix < 0 ? 128 : prefix;
  const mask = eightGroups((i) => {
    const n = Math.min(Math.max(bits - 16 * i, 0), 16);
    return (0xffff << (16 - n)) & 0xffff;
  });
  const addr = eightGroups((i) => groups[i]! & mask[i]!);
  const lowBits = addr.some((group, i) => group !== groups[i]);
  return withWarning({ action, match: { family: "ipv6", addr, mask } }, lowBits, text);
}

function eightGroups(group: (index: number) => number): Ipv6Groups {
  return [group(0), group(1), group(2), group(3), group(4), group(5), group(6), group(7)];
}

function withWarning(
  rule: AccessRule,
  lowBits: boolean,
  text: string,
): { rule: AccessRule; warning?: string } {
  return lowBits ? { rule, warning: `low address bits of ${text} are meaningless` } : { rule };
}

/** The prefix length after `/`: decimal digits (nginx's `ngx_atoi`), or null. Large values are
 * kept large enough to fail the family's bound. */
function parsePrefix(text: string, start: number): number | null {
  if (start === text.length) return null;
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return null;
    value = Math.min(value * 10 + (c - DIGIT_0), 1000);
  }
  return value;
}

/** Scratch groups for the client's IPv6 address: matching must not allocate per request. */
const client = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The decision of the first rule that matches the client, in the order written, or null when none
 * does (nginx then allows). As in nginx, an IPv4 rule matches IPv4 clients, an IPv6 rule IPv6
 * clients, `unix:` Unix-socket clients and `all` everyone. An IPv4-mapped client
 * (`::ffff:1.2.3.4`) is matched as the IPv4 address it carries, against the IPv4 rules and `all`,
 * when there is any such rule; only when there is none is it matched against the IPv6 rules. A
 * client whose address cannot be read is matched by `all` alone.
 */
export function checkAccess(
  rules: readonly AccessRule[],
  remote: AccessRemote,
): "allow" | "deny" | null {
  if (remote.transport === "unix" || remote.transport === "unixpacket") {
    return firstOf(rules, "unix");
  }
  const host = remote.hostname;
  if (host === undefined) return firstOf(rules, "all");

  const v4 = parseIpv4(host, 0, host.length);
  if (v4 >= 0) return checkIpv4(rules, v4);

  // A zone id (`fe80::1%eth0`) names the interface, not the address.
  const zone = host.indexOf("%");
  if (!parseIpv6(host, 0, zone < 0 ? host.length : zone, client)) return firstOf(rules, "all");
  if (isIpv4Mapped(client) && hasIpv4Rules(rules)) {
    return checkIpv4(rules, client[6]! * 0x10000 + client[7]!);
  }
  return checkIpv6(rules, client);
}

function firstOf(rules: readonly AccessRule[], family: "unix" | "all"): "allow" | "deny" | null {
  for (const rule of rules) {
    if (rule.match.family === family || rule.match.family === "all") return rule.action;
  }
  return null;
}

function checkIpv4(rules: readonly AccessRule[], addr: number): "allow" | "deny" | null {
  for (const { action, match } of rules) {
    if (match.family === "all") return action;
    if (match.family === "ipv4" && ((addr & match.mask) >>> 0) === match.addr) return action;
  }
  return null;
}

function checkIpv6(
  rules: readonly AccessRule[],
  groups: readonly number[],
): "allow" | "deny" | null {
  for (const { action, match } of rules) {
    if (match.family === "all") return action;
    if (match.family === "ipv6" && matchesIpv6(match.addr, match.mask, groups)) return action;
  }
  return null;
}

function matchesIpv6(addr: Ipv6Groups, mask: Ipv6Groups, groups: readonly number[]): boolean {
  for (let i = 0; i < 8; i++) {
    if ((groups[i]! & mask[i]!) !== addr[i]) return false;
  }
  return true;
}

function hasIpv4Rules(rules: readonly AccessRule[]): boolean {
  for (const { match } of rules) {
    if (match.family === "ipv4" || match.family === "all") return true;
  }
  return false;
}

/** `::ffff:a.b.c.d` (nginx's `IN6_IS_ADDR_V4MAPPED`). */
function isIpv4Mapped(groups: readonly number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 &&
    groups[4] === 0 && groups[5] === 0xffff;
}

/**
 * `text[start, end)` as an IPv4 address (nginx's `ngx_inet_addr`): four decimal octets of at most
 * 255, where an empty octet is 0 (`1..2.3`, `.1.2.3` are accepted) and leading zeros are decimal.
 * Returns the address as an unsigned 32-bit number, or -1. Like nginx, which returns
 * `INADDR_NONE` for it, `255.255.255.255` is refused.
 */
function parseIpv4(text: string, start: number, end: number): number {
  let addr = 0;
  let octet = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      octet = octet * 10 + (c - DIGIT_0);
      if (octet > 255) return -1;
    } else if (c === DOT) {
      if (++dots > 3) return -1;
      addr = addr * 256 + octet;
      octet = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3) return -1;
  addr = addr * 256 + octet;
  return addr === 0xffffffff ? -1 : addr;
}

/**
 * Parses `text[start, end)` as an IPv6 address into `out` (eight groups), as nginx's
 * `ngx_inet6_addr` does: `::` once, hex digits in either case, a trailing embedded IPv4 address
 * (`::ffff:1.2.3.4`); no brackets, no zone id. Like nginx it accepts one extra leading colon
 * (`:1:2:3:4:5:6:7:8`) and refuses `::` standing for a single last group (`1:2:3:4:5:6:7::`).
 */
function parseIpv6(text: string, start: number, end: number, out: number[]): boolean {
  if (start === end) return false;
  let p = text.charCodeAt(start) === COLON ? start + 1 : start;
  let written = 0; // groups stored in out
  let zero = -1; // the group where "::" stands
  let digit = -1; // the index after the last ':', where an embedded IPv4 address would start
  let nibbles = 0;
  let word = 0;

  for (; p < end; p++) {
    const c = text.charCodeAt(p);
    if (c === COLON) {
      if (nibbles > 0) {
        digit = p + 1;
        out[written++] = word;
        if (written === 8) return false;
        nibbles = 0;
        word = 0;
        continue;
      }
      if (zero < 0) {
        digit = p + 1;
        zero = written;
        continue;
      }
      return false;
    }
    if (c === DOT && nibbles > 0) {
      if (8 - written < 2 || digit < 0) return false;
      const v4 = parseIpv4(text, digit, end);
      if (v4 < 0) return false;
      out[written++] = v4 >>> 16;
      word = v4 & 0xffff;
      break;
    }
    if (++nibbles > 4) return false;
    const lower = c | 0x20;
    if (c >= DIGIT_0 && c <= DIGIT_9) word = word * 16 + (c - DIGIT_0);
    else if (lower >= LOWER_A && lower <= LOWER_F) word = word * 16 + (lower - LOWER_A + 10);
    else return false;
  }

  if (nibbles === 0 && zero < 0) return false;
  out[written++] = word;
  if (written === 8) return zero < 0;
  if (zero < 0) return false;
  // Move the groups after "::" to the end and zero the gap.
  const gap = 8 - written;
  for (let i = written - 1; i >= zero; i--) out[i + gap] = out[i]!;
  for (let i = zero; i < zero + gap; i++) out[i] = 0;
  return true;
}
