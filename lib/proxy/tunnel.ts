/**
 * An upgraded connection (WebSocket, or any 101): bytes relayed both ways between the client and
 * the upstream, each side's end passed on to the other, until both have ended, either fails, or
 * nothing has moved for `idleMs` (proxy_read_timeout).
 */
import type { TunnelBody, TunnelClient } from "../http/response.ts";
import type { UpstreamConnection } from "./upstream_connection.ts";

const RELAY_BUFFER = 16 * 1024;

/** A tunnel body for a 101 answer read from `upstream` (what followed its head goes first). */
export function tunnelBody(upstream: UpstreamConnection, idleMs: number): TunnelBody {
  return {
    kind: "tunnel",
    run: (client) => relay(client, upstream, idleMs),
    close: () => upstream.close(),
  };
}

async function relay(client: TunnelClient, upstream: UpstreamConnection, idleMs: number) {
  let last = Date.now();
  let ended = false;
  const end = () => {
    ended = true;
    upstream.close();
  };
  const idle = setInterval(() => {
    if (Date.now() - last >= idleMs) end();
  }, Math.min(idleMs, 1000));
  const toUpstream = async () => {
    for (;;) {
      const bytes = await client.read();
      if (bytes === null) break;
      last = Date.now();
      await upstream.write(bytes, idleMs);
    }
    await upstream.closeWrite();
  };
  const toClient = async () => {
    // What the upstream sent right after its 101 head.
    const input = upstream.input;
    if (input.pending > 0) {
      await client.write(input.buf.slice(input.start, input.end));
      input.consume(input.pending);
    }
    const buf = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await upstream.read(buf, Infinity);
      if (n === null) break;
      last = Date.now();
      await client.write(buf.subarray(0, n));
    }
    await client.closeWrite();
  };
  try {
    // Either side failing (a reset, a closed socket) ends the whole tunnel.
    await new Promise<void>((resolve) => {
      let done = 0;
      const finish = () => ++done === 2 && resolve();
      const fail = () => resolve();
      toUpstream().then(finish, fail);
      toClient().then(finish, fail);
    });
  } finally {
    clearInterval(idle);
    if (!ended) end();
  }
}
