/**
 * The per-request session logic: read the cookie, validate the id, load the session or start a
 * new one. A client-supplied id that the store does not know is never adopted (no fixation).
 */
import { parseCookies, serializeSetCookie } from "../http/cookies.ts";
import { isSessionId } from "./id.ts";
import type { SessionData, SessionStore } from "./store.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "WSSESSID";

/** A request's session. */
export interface ResolvedSession {
  id: string;
  data: SessionData;
  /** The id is new: the response must carry the cookie. */
  issued: boolean;
}

/** The well-formed session id the request's `Cookie` headers name, or null. */
export function claimedSessionId(
  cookieHeaders: readonly string[],
  cookieName: string = SESSION_COOKIE,
): string | null {
  const claimed = parseCookies(cookieHeaders).get(cookieName);
  return claimed !== undefined && isSessionId(claimed) ? claimed : null;
}

/**
 * Finds the session named by the request's `Cookie` headers. A missing, malformed, unknown or
 * expired id gets a fresh session under a new id (`issued: true`); a malformed one is not even
 * looked up.
 */
export async function resolveSession(
  store: SessionStore,
  cookieHeaders: readonly string[],
  cookieName: string = SESSION_COOKIE,
): Promise<ResolvedSession> {
  const claimed = claimedSessionId(cookieHeaders, cookieName);
  if (claimed !== null) {
    const data = await store.get(claimed);
    if (data !== null) return { id: claimed, data, issued: false };
  }
  const data: SessionData = {};
  return { id: await store.create(data), data, issued: true };
}

/**
 * Moves a session's data to a new id and drops the old one (after a login: a fixed id must not
 * survive a change of privilege). Resolves to the new id.
 */
export async function regenerateSession(
  store: SessionStore,
  id: string,
  data: SessionData,
): Promise<string> {
  const next = await store.create(data);
  await store.delete(id);
  return next;
}

/** How the session cookie is written. */
export interface SessionCookieOptions {
  /** The cookie's name; SESSION_COOKIE when absent. */
  name?: string;
  /** Max-Age in seconds; absent: a browser-session cookie. */
  maxAge?: number;
  /** Adds `Secure` (behind a TLS-terminating proxy). */
  secure?: boolean;
}

/** `WSSESSID=<id>; Path=/; HttpOnly; SameSite=Lax` (+ Max-Age, Secure when asked). */
export function sessionCookie(id: string, options: SessionCookieOptions = {}): string {
  return serializeSetCookie(options.name ?? SESSION_COOKIE, id, {
    path: "/",
    maxAge: options.maxAge,
    httpOnly: true,
    sameSite: "Lax",
    secure: options.secure,
  });
}

/** The cookie that makes the browser forget the session: empty, Max-Age=0, Expires in 1970. */
export function expiredSessionCookie(options: SessionCookieOptions = {}): string {
  return serializeSetCookie(options.name ?? SESSION_COOKIE, "", {
    path: "/",
    maxAge: 0,
    expires: new Date(0),
    httpOnly: true,
    sameSite: "Lax",
    secure: options.secure,
  });
}
