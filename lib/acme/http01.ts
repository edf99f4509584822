/**
 * HTTP-01 challenges (RFC 8555 §8.3): the key authorizations being validated, by token, for the
 * post-read handler that answers them (lib/phases/acme_challenge.ts).
 */
import type { Http01Solver } from "./client.ts";

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
