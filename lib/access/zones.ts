/** The limit_req and limit_conn zones of one configuration (their state is lost on a reload). */
import type { Config } from "../config/types.ts";
import type { Template } from "../variables/template.ts";
import { ConnectionZone, RequestZone } from "./rate_limit.ts";

export interface Zones {
  requests: Map<string, { zone: RequestZone; key: Template }>;
  connections: Map<string, { zone: ConnectionZone; key: Template }>;
}

/** The zones a configuration defines, empty. */
export function makeZones(config: Config): Zones {
  const requests = new Map<string, { zone: RequestZone; key: Template }>();
  for (const z of config.requestZones.values()) {
    requests.set(z.name, { zone: new RequestZone(z.name, z.rate!, z.capacity), key: z.key });
  }
  const connections = new Map<string, { zone: ConnectionZone; key: Template }>();
  for (const z of config.connectionZones.values()) {
    connections.set(z.name, { zone: new ConnectionZone(z.name, z.capacity), key: z.key });
  }
  return { requests, connections };
}
