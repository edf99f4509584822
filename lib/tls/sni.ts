/**
 * SNI: which certificate a TLS handshake gets, from the servers listening on its address, as
 * nginx chooses: the server whose `server_name` matches the name the client asked for (exact,
 * then wildcards), else the address's default server.
 */
import type { ServerConfig } from "../config/types.ts";
import { selectServer } from "../routing/select_server.ts";
import type { Certificates, KeyPair } from "./certificates.ts";

/** The key pair for a handshake asking for `sni` ("" when it names none). */
export function certificateFor(
  servers: readonly ServerConfig[],
  certificates: Certificates,
  sni: string,
): KeyPair {
  const server = selectServer(servers, sni.toLowerCase());
  const pair = certificates.get(server) ?? certificates.get(servers[0]!);
  if (pair === undefined) throw new Error(`No certificate for "${sni}" yet`);
  return pair;
}
