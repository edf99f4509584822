/**
 * What the directives of one file set, before defaults and inheritance are applied (merge.ts).
 * A field left undefined means "not set here, inherit".
 */
import type { LogFormat } from "../log/log_format.ts";
import type {
  AcmeIssuerSettings,
  DeferredCheck,
  ErrorLogSettings,
  Limits,
  Listen,
  LocationModifier,
  RewriteStep,
  SessionSettings,
  Settings,
  SourcePos,
  TryFiles,
  UpstreamServer,
  UpstreamSettings,
  ZoneSettings,
} from "./types.ts";

/** What every block holds: the settings written in it. */
export interface BlockDraft {
  settings: Partial<Settings>;
}

export interface LocationDraft extends BlockDraft {
  path: string;
  modifier: LocationModifier;
  regex: RegExp | null;
  /** Locations nested in this one, in the order of the file. */
  locations: LocationDraft[];
  alias: string | null;
  script: RewriteStep[];
  tryFiles: TryFiles | null;
  /** `proxy_pass` as read, resolved against the upstream blocks when the file is merged. */
  proxyPass: ProxyPassDraft | null;
  pos: SourcePos;
}

/** `proxy_pass URL` once read: where it points, before upstream names are known. */
export interface ProxyPassDraft {
  url: string;
  address: UpstreamServer["address"];
  /** What follows `http://` up to the URI: `host[:port]`, an upstream's name, `unix:/path`. */
  hostPart: string;
  hasPort: boolean;
  /** The address as logs show it (`127.0.0.1:8080`). */
  serverText: string;
  uri: string | null;
  pos: SourcePos;
}

export interface ServerDraft extends BlockDraft {
  listen: Listen[];
  serverNames: string[];
  locations: LocationDraft[];
  script: RewriteStep[];
  tryFiles: TryFiles | null;
  /** The session directives written in this server block. */
  sessions: Partial<SessionSettings>;
  /** `acme_certificate issuer [names…]` as written (names resolved when merged). */
  acme: { issuer: string; names: string[]; pos: SourcePos } | null;
  pos: SourcePos;
}

export interface MainDraft extends BlockDraft {
  /** Absolute path of the configuration file. */
  file: string;
  limits: Partial<Limits>;
  errorLog?: ErrorLogSettings;
  /** `pid file`, resolved. */
  pid?: string;
  /** `worker_processes`. */
  workerProcesses?: number | "auto";
  requestZones: Map<string, ZoneSettings>;
  connectionZones: Map<string, ZoneSettings>;
  upstreams: Map<string, UpstreamSettings>;
  acmeIssuers: Map<string, AcmeIssuerSettings>;
  /** `log_format`s by name (`combined` predefined). */
  logFormats: Map<string, LogFormat>;
  servers: ServerDraft[];
  checks: DeferredCheck[];
  /** `file:line: message` for directives accepted without effect, one per directive name. */
  notices: string[];
}
