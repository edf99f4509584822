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
  const pieces = new Pieces(conn, framing, readTimeout, end);
  return {
    kind: "stream",
    chunks: pieces,
    close: () => pieces.settle(framing.kind === "none" ? "whole" : "abandoned"),
    ready: () => pieces.ready,
  };
}

const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true });

/**
 * The body's pieces, copied out of the connection's buffer (a filter may keep them). An iterator
 * of its own rather than an async generator: on the hot path (a small answer that came with its
 * head) a piece is cut without waiting, and the connection goes back (whole()) as soon as the
 * body's last byte is taken, before the client has it, as nginx releases it.
 */
class Pieces implements AsyncIterableIterator<Uint8Array> {
  /** The bytes still to come of a Content-Length body. */
  #left: number;
  readonly #decoder: ChunkedDecoder | null;
  /** Decoded chunk data not handed out yet (one read may bring several chunks). */
  readonly #decoded: Uint8Array[] = [];
  /** The body's end was read: nothing more is taken from the connection. */
  #ended: boolean;
  #settled = false;

  constructor(
    private readonly conn: UpstreamConnection,
    private readonly framing: BodyFraming,
    private readonly readTimeout: number,
    private readonly end: BodyEnd,
  ) {
    this.#left = framing.kind === "length" ? framing.length : 0;
    this.#decoder = framing.kind === "chunked" ? new ChunkedDecoder() : null;
    this.#ended = framing.kind === "none";
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** A piece can be had without waiting for the upstream. */
  get ready(): boolean {
    if (this.#decoded.length > 0 || this.#ended || this.#settled) return true;
    return this.framing.kind !== "chunked" && this.conn.input.pending > 0;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    try {
      for (;;) {
        const piece = this.#take();
        if (piece !== null) return { value: piece, done: false };
        if (this.#ended || this.#settled) return DONE;
        // Nothing buffered: one read, then look again.
        const n = await this.conn.fill(this.readTimeout);
        if (n !== null) continue;
        if (this.framing.kind !== "close") throw new Premature();
        this.#finish();
      }
    } catch (e) {
      this.settle("failed", e);
      throw e;
    }
  }

  /** The consumer stops early (close() follows and says how the body ended). */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.#ended = true;
    this.#decoded.length = 0;
    return Promise.resolve(DONE);
  }

  /** Tells the body's end once: whole, abandoned, or failed with nginx's words for `e`. */
  settle(how: "whole" | "abandoned" | "failed", e?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (how === "whole") this.end.whole();
    else if (how === "abandoned") this.end.abandoned();
    else this.end.failed(failure(e));
  }

  /** The next piece from what the connection holds, or null when it holds none (or the end). */
  #take(): Uint8Array | null {
    if (this.#decoded.length > 0) return this.#decoded.shift()!;
    if (this.#ended || this.#settled) return null;
    const input = this.conn.input;
    if (input.pending === 0) return null;
    const from = input.start;
    if (this.#decoder !== null) {
      const result = this.#decoder.decode(input.buf, from, input.end);
      for (const data of result.data) this.#decoded.push(data.slice());
      input.consume(result.consumed);
      if (this.#decoder.done) this.#finish();
      return this.#decoded.shift() ?? null;
    }
    const take = this.framing.kind === "length"
      ? Math.min(input.pending, this.#left)
      : input.pending;
    const piece = input.buf.slice(from, from + take);
    input.consume(take);
    this.#left -= take;
    if (this.framing.kind === "length" && this.#left === 0) this.#finish();
    return piece;
  }

  /** The body's last byte was read: the connection may serve another request now. */
  #finish(): void {
    this.#ended = true;
    this.settle("whole");
  }
}

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
