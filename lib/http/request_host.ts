/** The host a request is for. */
import type { RequestHead } from "./request.ts";

/** Host from an absolute-form target or the Host header, lower-case, port removed; null if invalid. */
export function requestHost(head: RequestHead): string | null {
  let host: string | undefined;
  let field: string | undefined;
  let hosts = 0;
  for (const [name, value] of head.headers) {
    if (name === "host" && hosts++ === 0) field = value;
  }
  // More than one Host field line: 400 (RFC 9112 §3.2).
  if (hosts > 1) return null;
  // An origin-form target ("/…", the usual one) names no host.
  const absolute = head.target.charCodeAt(0) === 0x2f
    ? null
    : /^https?:\/\/([^/?#]*)/i.exec(head.target);
  if (absolute !== null) host = absolute[1];
  else host = field;
  if (host === undefined) return head.minor >= 1 ? null : "";
  // Clients send the same Host request after request: the last one's answer is kept.
  if (host === lastHost) return lastName;
  lastName = hostName(host);
  lastHost = host;
  return lastName;
}

let lastHost: string | undefined;
let lastName: string | null = null;

/** The name of a Host value, lower-case and without port or trailing dot; null if invalid. */
function hostName(host: string): string | null {
  // A name, an IPv4 address or a bracketed IPv6 address, then an optional port.
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s/\\:@[\]]*)(?::\d*)?$/.exec(host);
  if (m === null) return null;
  const name = m[1]!.toLowerCase();
  return name.endsWith(".") ? name.slice(0, -1) : name;
}
