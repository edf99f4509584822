import { HttpError } from "./errors.ts";

/**
 * The client closed the connection before its request body ended: answered 400 while nothing has
 * been sent (nginx's "client prematurely closed connection"), and, like any other way of going
 * away, not the server's problem once the answer has begun (a script's output reading the body).
 */
export class ClientClosed extends HttpError {
  constructor() {
    super(400, "Client closed the connection before the body ended");
  }
}

/** Errors that only mean the client went away (or the socket was closed under a pending call). */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof ClientClosed;
}
