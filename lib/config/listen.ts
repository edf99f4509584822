/** The argument of `listen`: `8080`, `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `*:80`. */
import type { ListenAddress } from "./types.ts";

/** The port used when `listen` names only a host, like nginx. */
const DEFAULT_PORT = 80;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i;

/** Checks a host that is not in brackets: an IPv4 literal or a name (no DNS lookup). */
function isHost(host: string): boolean {
  const v4 = IPV4.exec(host);
  if (v4 !== null) return v4.slice(1).every((octet) => Number(octet) <= 255);
  return !/^[\d.]+$/.test(host) && HOST_NAME.test(host);
}

/** `host[:port]` or `[v6][:port]`, hosts lower-cased and without brackets; port null when absent. */
export function splitHostPort(text: string): { host: string; port: number | null } | {
  error: "invalid host" | "no host" | "invalid port";
} {
  let host: string;
  let port: string | null;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return { error: "invalid host" };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return { error: "invalid host" };
    port = rest === "" ? null : rest.slice(1);
    if (!IPV6.test(host)) return { error: "invalid host" };
  } else {
    const colon = text.lastIndexOf(":");
    host = colon === -1 ? text : text.slice(0, colon);
    port = colon === -1 ? null : text.slice(colon + 1);
    if (host === "") return { error: "no host" };
    if (host === "*") host = "0.0.0.0";
    if (!isHost(host)) return { error: "invalid host" };
  }
  if (port === null) return { host: host.toLowerCase(), port: null };
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { error: "invalid port" };
  return { host: host.toLowerCase(), port: Number(port) };
}

/**
 * Parses a `listen` argument. A bare port means every IPv4 address (`0.0.0.0`), as does the host
 * `*`; a host without a port means port 80. IPv6 hosts are written in brackets and returned
 * without them. Port 0 (an ephemeral port) is accepted. Returns the address, or the error in
 * nginx's wording: `invalid port in "99999" of the "listen" directive`.
 */
export function parseListen(text: string): ListenAddress | { error: string } {
  // A bare port.
  if (/^\d+$/.test(text)) {
    if (text.length > 5 || Number(text) > 65535) return fail(text, "invalid port");
    return { host: "0.0.0.0", port: Number(text) };
  }
  const split = splitHostPort(text);
  if ("error" in split) return fail(text, split.error);
  return { host: split.host, port: split.port ?? DEFAULT_PORT };
}

function fail(text: string, what: string): { error: string } {
  return { error: `${what} in "${text}" of the "listen" directive` };
}

/** Formats an address the way `listen` takes it: `0.0.0.0:8080`, `[::1]:8080`. */
export function formatListen(address: ListenAddress): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

/** nginx's `listen` parameters that webserv does not implement, with what to say about each. */
const UNSUPPORTED_PARAMETERS: ReadonlyMap<string, string> = new Map([
  ["http2", '"http2" parameter is not supported by webserv'],
  ["quic", '"quic" parameter is not supported by webserv'],
  ["proxy_protocol", '"proxy_protocol" parameter is not supported by webserv'],
]);

/**
 * The parameters after the address: `default_server` (the address's default server) and `ssl`
 * (TLS on this address) are the ones webserv acts on. nginx parameters it does not implement are named as such; anything else is
 * nginx's `invalid parameter "x"`.
 */
export function parseListenParameters(params: readonly string[]): {
  defaultServer: boolean;
  ssl: boolean;
} | {
  error: string;
} {
  let defaultServer = false;
  let ssl = false;
  for (const param of params) {
    if (param === "default_server") {
      defaultServer = true;
      continue;
    }
    if (param === "ssl") {
      ssl = true;
      continue;
    }
    const name = param.split("=", 1)[0]!;
    const unsupported = UNSUPPORTED_PARAMETERS.get(name);
    if (unsupported !== undefined) return { error: unsupported };
    return { error: `invalid parameter "${param}"` };
  }
  return { defaultServer, ssl };
}

/** Whether a listen host is an address literal (nothing to resolve). */
export function isAddressLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(":");
}
