/**
 * The access phase's checks (nginx's access and auth_basic modules): `allow`/`deny` rules by the
 * client's address (403), and HTTP Basic authentication against a password file (401 with
 * `WWW-Authenticate`). With `satisfy all` (the default) both must pass; with `satisfy any`,
 * either.
 */
import type { Response } from "../http/response.ts";
import { getHeader } from "../http/request.ts";
import { requestError } from "../log/request_error.ts";
import type { Handler, RequestContext } from "../phases/context.ts";
import { checkAccess } from "./cidr.ts";

const decoder = new TextDecoder();

export const accessControl: Handler = (ctx) => {
  const { access, authBasic } = ctx.location;
  return access.length === 0 && authBasic === null ? null : checkAccessPhase(ctx);
};

async function checkAccessPhase(ctx: RequestContext): Promise<Response | null> {
  const { access, authBasic, satisfy } = ctx.location;
  const byAddress = access.length === 0 || checkAccess(access, ctx.remote) !== "deny";
  if (satisfy === "any" && byAddress && access.length > 0) return null;
  if (authBasic === null) return byAddress ? null : forbidden(ctx);
  const authenticated = await checkBasic(ctx, authBasic);
  if (satisfy === "any" && authenticated === null) return null;
  if (satisfy === "all" && !byAddress) return forbidden(ctx);
  return authenticated;
}

/** 403 for an address the rules deny, logged as nginx does. */
function forbidden(ctx: RequestContext): Response {
  ctx.services.log.log("error", requestError(ctx, "access forbidden by rule"));
  return { status: 403, headers: [], body: null };
}

/** null when the request carries a user and password the location's file accepts, else a 401. */
async function checkBasic(ctx: RequestContext, realm: string): Promise<Response | null> {
  const challenge: Response = {
    status: 401,
    headers: [["WWW-Authenticate", `Basic realm="${realm.replaceAll('"', '\\"')}"`]],
    body: null,
  };
  const credentials = basicCredentials(getHeader(ctx.head, "authorization"));
  if (credentials === null) return challenge;
  const path = ctx.location.authBasicUserFile;
  if (path === null) {
    ctx.services.log.report("error", "auth_basic without auth_basic_user_file", ctx.location.path);
    return { status: 500, headers: [], body: null };
  }
  let ok: boolean;
  try {
    ok = await (await ctx.services.userFiles.get(path)).verify(
      credentials.user,
      credentials.password,
    );
  } catch (e) {
    ctx.services.log.report("error", `Cannot read auth_basic_user_file "${path}"`, String(e));
    return { status: 500, headers: [], body: null };
  }
  if (ok) return null;
  const message = `user "${credentials.user}": password mismatch`;
  ctx.services.log.log("error", requestError(ctx, message));
  return challenge;
}

/** The user and password of `Authorization: Basic base64(user:password)`, or null. */
export function basicCredentials(
  header: string | undefined,
): { user: string; password: string } | null {
  const m = header === undefined ? null : /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (m === null) return null;
  let text: string;
  try {
    text = decoder.decode(Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
