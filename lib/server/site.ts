/** What every connection accepted on one listening address shares. */
import type { ServerConfig } from "../config/types.ts";
import type { AccessLog } from "../log/access_log.ts";
import type { Services } from "../phases/context.ts";
import type { Certificates } from "../tls/certificates.ts";
import type { ConnectionLimits } from "./limits.ts";

export interface Site {
  /** The servers listening on this address; the first is the default. */
  servers: ServerConfig[];
  /**
   * For a wildcard address (0.0.0.0, ::): servers that listen on a specific address with the same
   * port, by that address. They are chosen first when a client connects to it (as nginx does).
   */
  byAddress: Map<string, ServerConfig[]>;
  limits: ConnectionLimits;
  /** The configuration's file cache, CGI pool, session hubs and error log. */
  services: Services;
  /** Access logs by target ("stdout" or a path). */
  accessLogs: Map<string, AccessLog>;
  /** Connections to this address speak TLS. */
  tls: boolean;
  /** The certificates of this configuration's servers. */
  certificates: Certificates;
}
