/**
 * HTTP-01 challenges (RFC 8555 §8.3): the key authorizations being validated, by token, and the
 * post-read handler that answers `GET /.well-known/acme-challenge/<token>` with one, on every
 * plain listener and server, ahead of every rewrite, `return` and location (the CA asks on port
 * 80 for the name it validates, whatever the site does with other URIs).
 */
import type { Response } from "../http/response.ts";
import type { Handler } from "../phases/context.ts";
import type { Http01Solver } from "./client.ts";

const PREFIX = "/.well-known/acme-challenge/";

/** The tokens provisioned by the orders under way (a configuration's). */
export class Http01Challenges implements Http01Solver {
  readonly #answers = new Map<string, string>();

  provision(token: string, keyAuthorization: string): void {
    this.#answers.set(token, keyAuthorization);
  }

  cleanup(token: string): void {
    this.#answers.delete(token);
  }

  /** The key authorization for `token`, if an order is waiting for it. */
  answer(token: string): string | undefined {
    return this.#answers.get(token);
  }
}

/** Answers a challenge the CA asks for; declines every other request. */
export const acmeChallenge: Handler = (ctx) => {
  if (!ctx.path.startsWith(PREFIX)) return null;
  const method = ctx.head.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const answer = ctx.services.acme.answer(ctx.path.slice(PREFIX.length));
  if (answer === undefined) return null;
  const res: Response = {
    status: 200,
    headers: [["Content-Type", "application/octet-stream"]],
    body: new TextEncoder().encode(answer),
  };
  return res;
};
