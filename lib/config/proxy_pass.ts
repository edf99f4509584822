/**
 * `proxy_pass http://host[:port][/uri];`, `proxy_pass http://upstream_name[/uri];` and
 * `proxy_pass http://unix:/path.sock:[/uri];`: read when the directive is, resolved against the
 * file's `upstream` blocks when it is merged (an upstream may be defined after its use).
 */
import type { Apply } from "./directive.ts";
import { locationOf } from "./directive.ts";
import type { ProxyPassDraft } from "./draft.ts";
import type { DeferredCheck, ProxyPass, SourcePos, UpstreamSettings } from "./types.ts";
import { ConfigError } from "./config_error.ts";
import { hostResolves } from "./checks.ts";
import { isAddressLiteral } from "./listen.ts";
import { parseServerAddress, SERVER_DEFAULTS, UPSTREAM_KEEPALIVE_DEFAULTS } from "./upstream.ts";

const NO_URI_PART = '"proxy_pass" cannot have URI part in location given by regular expression, ' +
  'or inside named location, or inside "if" statement, or inside "limit_except" block';

/** `proxy_pass URL;` in a location. */
export const proxyPass: Apply = (scope, [url = ""], env) => {
  const location = locationOf(scope);
  if (/^https:\/\//i.test(url)) throw env.error("proxying to https is not supported by webserv");
  if (!/^http:\/\//i.test(url)) throw env.error(`invalid URL prefix in "${url}"`);
  if (url.includes("$")) throw env.error("variables in proxy_pass are not supported by webserv");
  const rest = url.slice(7);
  let hostPart: string;
  let uri: string | null;
  if (rest.startsWith("unix:")) {
    // The socket's path ends at the next ":"; the URI, if any, follows it.
    const colon = rest.indexOf(":", 5);
    hostPart = colon === -1 ? rest : rest.slice(0, colon);
    uri = colon === -1 || colon === rest.length - 1 ? null : rest.slice(colon + 1);
  } else {
    const slash = rest.indexOf("/");
    hostPart = slash === -1 ? rest : rest.slice(0, slash);
    uri = slash === -1 ? null : rest.slice(slash);
  }
  const parsed = parseServerAddress(hostPart);
  if ("error" in parsed) throw env.error(parsed.error);
  const { modifier } = location;
  if (uri !== null && (modifier === "~" || modifier === "~*" || modifier === "@")) {
    throw env.error(NO_URI_PART);
  }
  location.proxyPass = {
    url,
    address: parsed.address,
    hostPart,
    hasPort: parsed.hasPort,
    serverText: parsed.text,
    uri,
    pos: { file: env.file, line: env.line },
  };
};

/**
 * The ProxyPass of a draft: the upstream block its host names (without a port), or an upstream of
 * its one server, shared by every proxy_pass to the same address (nginx's implicit upstreams,
 * `max_fails=1 fail_timeout=10s`).
 */
export function resolveProxyPass(
  draft: ProxyPassDraft,
  upstreams: ReadonlyMap<string, UpstreamSettings>,
  implicit: Map<string, UpstreamSettings>,
  checks: DeferredCheck[],
): ProxyPass {
  const named = "path" in draft.address ? undefined : upstreams.get(draft.address.host);
  if (named !== undefined && draft.hasPort) {
    const { file, line } = draft.pos;
    throw new ConfigError(
      file,
      line,
      `upstream "${named.name}" may not have port ${portOf(draft)}`,
    );
  }
  const upstream = named ?? implicitUpstream(draft, implicit);
  // A host that names no upstream block must resolve.
  if (named === undefined && !("path" in draft.address) && !isAddressLiteral(draft.address.host)) {
    const host = draft.address.host;
    const failure = `host not found in upstream "${draft.hostPart}"`;
    checks.push({ pos: draft.pos, severity: "error", run: () => hostResolves(host, failure) });
  }
  return {
    url: draft.url,
    upstream,
    uri: draft.uri,
    host: proxyHost(draft, named),
    port: portOf(draft),
  };
}

function portOf(draft: ProxyPassDraft): number {
  return "path" in draft.address ? 80 : draft.address.port;
}

/** `$proxy_host`: the upstream's name, `localhost` for a socket, else host[:port unless 80]. */
function proxyHost(draft: ProxyPassDraft, named: UpstreamSettings | undefined): string {
  if (named !== undefined) return named.name;
  if ("path" in draft.address) return "localhost";
  return draft.hasPort && draft.address.port !== 80 ? draft.hostPart : hostOf(draft.hostPart);
}

/** The host of `host[:port]` as written (brackets kept). */
function hostOf(hostPart: string): string {
  return hostPart.replace(/:\d+$/, "");
}

function implicitUpstream(
  draft: ProxyPassDraft,
  implicit: Map<string, UpstreamSettings>,
): UpstreamSettings {
  const key = draft.serverText;
  let upstream = implicit.get(key);
  if (upstream === undefined) {
    const pos: SourcePos = draft.pos;
    upstream = {
      name: "path" in draft.address ? draft.hostPart : draft.serverText,
      servers: [{
        address: draft.address,
        text: draft.serverText,
        ...SERVER_DEFAULTS,
        backup: false,
        down: false,
      }],
      ...UPSTREAM_KEEPALIVE_DEFAULTS,
      pos,
    };
    implicit.set(key, upstream);
  }
  return upstream;
}
