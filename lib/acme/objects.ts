/**
 * The objects an ACME server sends (RFC 8555 §7.1): their shapes, read and checked from the JSON
 * (a malformed one is an AcmeError naming its URL), and the errors an order or authorization
 * that failed stands for.
 */
import { AcmeError, type AcmeProblem } from "./acme_error.ts";

/** The directory object (RFC 8555 §7.1.1). */
export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert?: string;
  keyChange?: string;
  newAuthz?: string;
  renewalInfo?: string;
  meta?: {
    termsOfService?: string;
    website?: string;
    caaIdentities?: string[];
    externalAccountRequired?: boolean;
    [member: string]: unknown;
  };
}

/** A challenge of an authorization (RFC 8555 §8). */
export interface Challenge {
  type: string;
  url: string;
  status: string;
  token?: string;
  error?: AcmeProblem;
}

/** An authorization object (RFC 8555 §7.1.4). */
export interface Authorization {
  status: string;
  identifier: { type: string; value: string };
  challenges: Challenge[];
  wildcard?: boolean;
}

/** An order object (RFC 8555 §7.1.3). */
export interface Order {
  status: string;
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: AcmeProblem;
}

export function readDirectory(json: Record<string, unknown>, url: string): AcmeDirectory {
  for (const field of ["newNonce", "newAccount", "newOrder"]) {
    if (!isUrl(json[field])) {
      throw new AcmeError(`ACME directory ${url}: no "${field}" URL (is this a directory?)`, {
        url,
      });
    }
  }
  return json as unknown as AcmeDirectory;
}

export function readOrder(json: Record<string, unknown>, url: string): Order {
  const { status, authorizations, finalize, certificate, error } = json;
  if (
    typeof status !== "string" || !Array.isArray(authorizations) ||
    !authorizations.every(isUrl) || !isUrl(finalize) ||
    (certificate !== undefined && !isUrl(certificate))
  ) {
    throw new AcmeError(`order ${url}: not an order object`, { url });
  }
  return {
    status,
    authorizations,
    finalize,
    ...(certificate === undefined ? {} : { certificate }),
    ...(isObject(error) ? { error: error as AcmeProblem } : {}),
  };
}

export function readAuthorization(json: Record<string, unknown>, url: string): Authorization {
  const { status, identifier, challenges, wildcard } = json;
  if (
    typeof status !== "string" || !isObject(identifier) || typeof identifier.value !== "string" ||
    !Array.isArray(challenges)
  ) {
    throw new AcmeError(`authorization ${url}: not an authorization object`, { url });
  }
  const read: Challenge[] = [];
  for (const c of challenges) {
    if (
      !isObject(c) || typeof c.type !== "string" || !isUrl(c.url) || typeof c.status !== "string"
    ) {
      throw new AcmeError(`authorization ${url}: a malformed challenge`, { url });
    }
    read.push({
      type: c.type,
      url: c.url,
      status: c.status,
      ...(typeof c.token === "string" ? { token: c.token } : {}),
      ...(isObject(c.error) ? { error: c.error as AcmeProblem } : {}),
    });
  }
  return {
    status,
    identifier: { type: String(identifier.type), value: identifier.value },
    challenges: read,
    wildcard: wildcard === true,
  };
}

export function orderError(order: Order, url: string): AcmeError {
  const problem = order.error;
  const detail = problem?.detail === undefined ? "" : `: ${problem.detail}`;
  return new AcmeError(`order ${url} is ${order.status}${detail}`, { url, problem });
}

export function authorizationError(
  authz: Authorization,
  identifier: string,
  url: string,
): AcmeError {
  const failed = authz.challenges.find((c) => c.type === "http-01" && c.error !== undefined) ??
    authz.challenges.find((c) => c.error !== undefined);
  const detail = failed?.error?.detail === undefined ? "" : `: ${failed.error.detail}`;
  return new AcmeError(`authorization of ${identifier} is ${authz.status}${detail}`, {
    url: failed?.url ?? url,
    problem: failed?.error,
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isUrl(value: unknown): value is string {
  return typeof value === "string" && URL.canParse(value);
}

export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
