/**
 * The one error type of the ACME client: a failed exchange with the CA, the URL it concerned, and,
 * when the CA answered with a problem document (RFC 8555 §6.7, RFC 7807), its type and detail.
 *
 * - `new AcmeError(message, { url, status, problem, retryAfterMs, cause })`.
 * - `error.type`: the problem type, e.g. "urn:ietf:params:acme:error:rejectedIdentifier";
 *   `error.acmeType`: the same without the ACME prefix ("rejectedIdentifier") or undefined.
 * - `error.detail`, `error.status` (HTTP status; undefined for a network failure or time-out),
 *   `error.url`, `error.problem` (the whole document, subproblems included), `error.retryAfterMs`
 *   (the answer's Retry-After, e.g. with rateLimited, for scheduling the next attempt).
 * - `error.timedOut`: the CA did not answer (or an object did not change state) in time.
 */

/** The URN prefix of the problem types RFC 8555 §6.7 defines. */
export const ACME_ERROR_PREFIX = "urn:ietf:params:acme:error:";

/** A problem document (RFC 7807) as ACME sends it. */
export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  instance?: string;
  identifier?: { type: string; value: string };
  subproblems?: AcmeProblem[];
  [member: string]: unknown;
}

/** What an AcmeError carries besides its message. */
export interface AcmeErrorInit {
  url: string;
  status?: number;
  problem?: AcmeProblem;
  retryAfterMs?: number;
  timedOut?: boolean;
  cause?: unknown;
}

/** A failed ACME exchange. */
export class AcmeError extends Error {
  override name = "AcmeError";
  /** The URL requested (or the object waited for) when it failed. */
  readonly url: string;
  /** The HTTP status of the answer; undefined when there was none. */
  readonly status: number | undefined;
  /** The problem document, when the CA sent one. */
  readonly problem: AcmeProblem | undefined;
  /** The answer's Retry-After, in milliseconds from when it arrived. */
  readonly retryAfterMs: number | undefined;
  /** No answer, or no change of state, within the time allowed. */
  readonly timedOut: boolean;

  constructor(message: string, init: AcmeErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.url = init.url;
    this.status = init.status;
    this.problem = init.problem;
    this.retryAfterMs = init.retryAfterMs;
    this.timedOut = init.timedOut ?? false;
  }

  /** The problem type URN, if any. */
  get type(): string | undefined {
    return this.problem?.type;
  }

  /** The problem's detail, if any. */
  get detail(): string | undefined {
    return this.problem?.detail;
  }

  /** The problem type without "urn:ietf:params:acme:error:", undefined for other types. */
  get acmeType(): string | undefined {
    const type = this.type;
    return type?.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : undefined;
  }
}
