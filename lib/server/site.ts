/** What every connection accepted on one listening address shares. */
import type { ServerConfig } from "../config/types.ts";
import type { AccessLog } from "../log/access_log.ts";
import type { ConnectionLimits } from "./limits.ts";

export interface Site {
  /** The servers listening on this address; the first is the default. */
  servers: ServerConfig[];
  limits: ConnectionLimits;
  /** The access log of each server, absent when it is off. */
  accessLogs: Map<ServerConfig, AccessLog>;
}
