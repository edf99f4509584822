/**
 * Notices a client that leaves while its request is handled (a CGI script runs): reads ahead on
 * the connection, keeping what arrives (a pipelined request) in the input buffer, and aborts its
 * signal at the end of the stream or a read error. It starts when the signal is first asked for,
 * and stops reading once the buffer is full (the client may only be noticed again after that).
 */
import type { InputBuffer } from "../io/input_buffer.ts";

export class ClientWatch {
  #controller: AbortController | null = null;
  #active = true;

  constructor(private readonly input: InputBuffer) {}

  /** The signal; asking for it starts the watch. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      this.#run(this.#controller);
    }
    return this.#controller.signal;
  }

  /** Stops watching (the response is sent); a read under way stays shared with the connection. */
  stop(): void {
    this.#active = false;
  }

  async #run(controller: AbortController): Promise<void> {
    try {
      while (this.#active && this.input.room > 0) {
        if ((await this.input.fill()) === null) break;
      }
      if (this.#active && this.input.room > 0) controller.abort();
    } catch {
      if (this.#active) controller.abort();
    }
  }
}
