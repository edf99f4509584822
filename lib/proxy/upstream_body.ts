/**
 * An upstream answer's body as the client's stream: read from the upstream connection only as
 * the client takes it (back-pressure: a slow client slows the upstream, memory stays one buffer),
 * framed as the upstream framed it, and the connection handed back to the pool only when the body
 * was read to its exact end.
 */
import { ChunkedDecoder } from "../http/chunked.ts";
import { HttpError } from "../http/errors.ts";
import type { StreamBody } from "../http/response.ts";
import type { UpstreamFraming } from "./response_framing.ts";
import { type UpstreamConnection, UpstreamTimeout } from "./upstream_connection.ts";

/** How the body ended: read whole, or broken off (logged with the reason). */
export interface BodyEnd {
  /** The body was read to its end and the connection may serve another request. */
  whole(): void;
  /** The upstream failed mid-body ("upstream prematurely closed connection", a timeout…). */
  failed(message: string): void;
  /** The client stopped taking it, or the body was never sent. */
  abandoned(): void;
}

type BodyFraming = Extract<UpstreamFraming, { kind: "none" | "length" | "chunked" | "close" }>;

/** The body of an answer whose head `conn` has just read. */
export function upstreamBody(
  conn: UpstreamConnection,
  framing: BodyFraming,
  readTimeout: number,
  end: BodyEnd,
): StreamBody {
  let settled = false;
  const settle = (how: () => void) => {
    if (settled) return;
    settled = true;
    how();
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield* pieces(conn, framing, readTimeout);
    } catch (e) {
      settle(() => end.failed(failure(e)));
      throw e;
    }
    settle(() => end.whole());
  }
  return {
    kind: "stream",
    chunks: framing.kind === "none" ? noChunks() : chunks(),
    close: () => settle(() => framing.kind === "none" ? end.whole() : end.abandoned()),
  };
}

async function* noChunks(): AsyncGenerator<Uint8Array> {}

class Premature extends Error {}

/** nginx's words for why a body broke off (a decoding error can only be a bad chunk). */
function failure(e: unknown): string {
  if (e instanceof Premature) return "upstream prematurely closed connection";
  if (e instanceof UpstreamTimeout) return "upstream timed out (110: Connection timed out)";
  if (e instanceof Deno.errors.ConnectionReset) {
    return "recv() failed (104: Connection reset by peer)";
  }
  if (e instanceof HttpError) return "upstream sent invalid chunked response";
  return `recv() failed (${e instanceof Error ? e.message : String(e)})`;
}

/** The body's pieces, copied out of the connection's buffer (a filter may keep them). */
async function* pieces(
  conn: UpstreamConnection,
  framing: BodyFraming,
  readTimeout: number,
): AsyncGenerator<Uint8Array> {
  const input = conn.input;
  const more = async (untilEnd: boolean) => {
    if (input.pending > 0) return true;
    const n = await conn.fill(readTimeout);
    if (n === null && !untilEnd) throw new Premature();
    return n !== null;
  };
  if (framing.kind === "length") {
    let left = framing.length;
    while (left > 0) {
      await more(false);
      const take = Math.min(input.pending, left);
      yield input.buf.slice(input.start, input.start + take);
      input.consume(take);
      left -= take;
    }
  } else if (framing.kind === "chunked") {
    const decoder = new ChunkedDecoder();
    while (!decoder.done) {
      await more(false);
      const result = decoder.decode(input.buf, input.start, input.end);
      const data = result.data.map((d) => d.slice());
      input.consume(result.consumed);
      for (const piece of data) yield piece;
    }
  } else if (framing.kind === "close") {
    while (await more(true)) {
      yield input.buf.slice(input.start, input.end);
      input.consume(input.pending);
    }
  }
}
