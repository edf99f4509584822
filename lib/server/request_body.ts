/** The request body as handlers read it: decoded from the connection's buffer, bounded, timed. */
import { ChunkedDecoder } from "../http/chunked.ts";
import { ClientClosed } from "../http/disconnect.ts";
import { HttpError } from "../http/errors.ts";
import type { BodyLeft } from "../http/keep_alive.ts";
import type { BodyFraming, BodyReader } from "../http/request.ts";
import type { InputBuffer } from "../io/input_buffer.ts";

/** The connection side a body reads from. */
export interface BodySource {
  readonly input: InputBuffer;
  /** Reads more bytes into the input within the body timeout; false when the client closed. */
  fillBody(): Promise<boolean>;
  /** Writes bytes to the client (for "100 Continue"). */
  writeAll(bytes: Uint8Array): Promise<void>;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const EMPTY = new Uint8Array(0);

export class RequestBody implements BodyReader {
  readonly length: number | null;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #pending: Uint8Array[] = [];
  #received = 0;
  #done: boolean;
  /** "100 Continue" is owed before the first read. */
  #continueOwed: boolean;

  constructor(
    private readonly source: BodySource,
    framing: BodyFraming,
    private readonly maxSize: number,
    expectContinue: boolean,
  ) {
    if (framing.kind === "length") {
      this.length = framing.length;
      this.#remaining = framing.length;
    } else if (framing.kind === "chunked") {
      this.length = null;
      this.#decoder = new ChunkedDecoder();
    } else {
      this.length = 0;
    }
    this.#done = framing.kind === "none";
    this.#continueOwed = expectContinue && !this.#done;
  }

  /** Bytes of the body read so far (decoded). */
  get received(): number {
    return this.#received;
  }

  /** The whole body has been read. */
  get done(): boolean {
    return this.#done && this.#pending.length === 0;
  }

  /**
   * What is left to read once the answer is ready: nothing; a rest the connection may read and
   * drop (at most `discardLimit` declared bytes, or a chunked body, which is dropped up to that
   * limit); or a rest that ends the connection (too large, or the client waits for 100 Continue).
   */
  left(discardLimit: number): BodyLeft {
    if (this.done) return "none";
    if (this.#continueOwed) return "unread";
    if (this.#decoder === null && this.#remaining > discardLimit) return "unread";
    return "discardable";
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#continueOwed) {
      this.#continueOwed = false;
      await this.source.writeAll(CONTINUE);
    }
    const input = this.source.input;
    for (;;) {
      const next = this.#pending.shift();
      if (next !== undefined) return this.#count(next);
      if (this.#done) return null;
      if (input.pending === 0 && !(await this.source.fillBody())) {
        throw new ClientClosed();
      }
      if (this.#decoder === null) {
        const n = Math.min(this.#remaining, input.pending);
        const piece = input.buf.subarray(input.start, input.start + n);
        input.consume(n);
        this.#remaining -= n;
        if (this.#remaining === 0) this.#done = true;
        return this.#count(piece);
      }
      const out = this.#decoder.decode(input.buf, input.start, input.end);
      input.consume(out.consumed);
      this.#pending = out.data;
      if (out.done) this.#done = true;
    }
  }

  /** Reads and drops the rest of the body, up to `limit` bytes; false when more was left. */
  async discard(limit: number): Promise<boolean> {
    let dropped = 0;
    while (!this.done) {
      const piece = await this.read();
      if (piece === null) break;
      dropped += piece.length;
      if (dropped > limit) return false;
    }
    return true;
  }

  #count(piece: Uint8Array): Uint8Array {
    this.#received += piece.length;
    if (this.maxSize > 0 && this.#received > this.maxSize) {
      this.#done = true;
      this.#pending = [];
      throw new HttpError(413, "Request body is larger than client_max_body_size");
    }
    return piece.length === 0 ? EMPTY : piece;
  }
}
