/** Runs CGI scripts for locations with a `cgi` map (extension → interpreter). */
import { buildCgiEnv } from "../cgi/env.ts";
import { type CgiLog, type CgiRun, runCgi } from "../cgi/runner.ts";
import { spoolBody, type SpooledBody } from "../io/spool_body.ts";
import type { LocationConfig } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import type { BodyReader } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { mapToFile } from "../routing/resolve_path.ts";
import type { ContentHandler, RequestContext } from "../phases/context.ts";
import { fsErrorStatus } from "../files/fs_errors.ts";
import type { CgiSession } from "../session/cgi_session.ts";

export interface CgiHandlerOptions {
  /**
   * Milliseconds a script may take for its headers and then for each piece of its body; by
   * default the location's `cgi_timeout`.
   */
  timeoutMs?: number;
  /** Where failures and scripts' stderr go; the configuration's error log when absent. */
  log?: CgiLog;
}

/** Where a CGI name in the path led. */
interface ScriptMatch {
  /** The URI path of the script ("/cgi-bin/a.py"). */
  scriptName: string;
  /** The script's file, or null when no CGI name in the path is a regular file. */
  file: string | null;
  /** What follows the script's name ("/x/y"), or "". */
  pathInfo: string;
  interpreter: string;
}

/**
 * Makes the CGI handler. It declines when the location has no `cgi` map or no path segment ends
 * with a configured extension. The script is the first segment from the left with a CGI extension
 * that is a regular file; the rest of the path is PATH_INFO ("/cgi-bin/a.py/x/y"). The answer is
 * the script's status and headers with its stdout streamed as the body (its Content-Length, if
 * any, passed through), or an internal redirect for `Location: /path`.
 */
export function createCgiHandler(options: CgiHandlerOptions = {}): ContentHandler {
  // No `cgi` directive here: not ours.
  return (ctx) => ctx.location.cgi.size === 0 ? null : run(ctx);
  async function run(ctx: RequestContext): Promise<Response | null> {
    const { location } = ctx;
    const script = await findScript(ctx.path, location);
    // No segment with a CGI extension: another handler serves the path.
    if (script === null) return null;
    // A CGI name that is no file (missing, a directory): 404.
    if (script.file === null) return { status: 404, headers: [], body: null };
    // A chunked body is read ahead: scripts (php-cgi above all) need CONTENT_LENGTH.
    let body: BodyReader = ctx.body;
    let spool: SpooledBody | null = null;
    if (ctx.body.length === null) body = spool = await spoolBody(ctx.body);
    // `session on`: the session is resolved (a new id for an unknown one) before the script runs.
    let session: CgiSession | null = null;
    try {
      session = location.session ? await startSession(ctx, script.scriptName) : null;
    } catch (e) {
      spool?.close();
      throw e;
    }
    const env = buildCgiEnv({
      head: ctx.head,
      scriptName: script.scriptName,
      scriptFilename: script.file,
      pathInfo: script.pathInfo,
      documentRoot: location.alias ?? location.root,
      host: ctx.host,
      serverNames: ctx.server.serverNames,
      local: ctx.local,
      remote: ctx.remote,
      secure: ctx.secure,
      contentLength: body.length,
      session: session === null ? undefined : { id: session.id, file: session.file },
    });
    let run: CgiRun;
    try {
      run = await runCgi({
        interpreter: script.interpreter,
        scriptFile: script.file,
        env,
        body,
        timeoutMs: options.timeoutMs ?? location.cgiTimeout,
        signal: ctx.clientGone?.(),
        pool: ctx.services.cgi,
        log: options.log ?? errorLogOf(ctx),
      });
    } catch (e) {
      spool?.close();
      await session?.abandon();
      // The script failed (502) or timed out (504): an error page. Body errors are the connection's.
      if (e instanceof HttpError && (e.status === 502 || e.status === 503 || e.status === 504)) {
        return { status: e.status, headers: [], body: null };
      }
      throw e;
    }
    if (spool !== null) run.finished.then(() => spool.close());
    // Stored once the script has exited, even when the response is never written (client gone).
    if (session !== null) run.finished.then(() => session.finish());
    // `Location: /path` without Status: the dispatcher serves that URI instead.
    if (run.internalRedirect !== undefined) {
      run.close();
      return { status: 200, headers: [], body: null, internalRedirect: run.internalRedirect };
    }
    let headers = run.headers;
    try {
      // X-Session acted on and removed, the cookie added for a new id.
      if (session !== null) headers = await session.respond(run.headers);
    } catch (e) {
      run.close();
      throw e;
    }
    return {
      status: run.status,
      headers,
      body: { kind: "stream", chunks: run.body, close: run.close },
    };
  }
}

/**
 * The request's session, or null when the server has no sessions set up. A session in use by
 * another script is waited for, at most the location's `cgi_timeout`.
 */
function startSession(ctx: RequestContext, scriptName: string): Promise<CgiSession> | null {
  const hub = ctx.services.sessions.for(ctx.server);
  return hub?.begin(ctx.head, scriptName, ctx.location.cgiTimeout, ctx.secure) ?? null;
}

/**
 * Scripts' failures go to the error log once per kind (they repeat with every request); the lines
 * they write to stderr are theirs to word, and each is logged, as nginx logs FastCGI's stderr.
 */
function errorLogOf(ctx: RequestContext): CgiLog {
  const log = ctx.services.log;
  return (line, kind) => {
    if (kind === "failure") log.report("error", line);
    else log.log("error", line);
  };
}

/** The CGI handler, with each location's `cgi_timeout`. */
export const cgiHandler: ContentHandler = createCgiHandler();

/**
 * Walks the path's segments from the left for a name with a CGI extension that is a regular file.
 * Returns null when no segment has a CGI extension, a match with `file: null` when some do but none
 * is a file.
 */
async function findScript(path: string, location: LocationConfig): Promise<ScriptMatch | null> {
  let miss: ScriptMatch | null = null;
  let start = 0;
  while (start < path.length) {
    const slash = path.indexOf("/", start + 1);
    const end = slash < 0 ? path.length : slash;
    const scriptName = path.slice(0, end);
    const interpreter = interpreterFor(path.slice(start + 1, end), location.cgi);
    if (interpreter !== null) {
      const pathInfo = path.slice(end);
      const file = mapToFile(scriptName, location);
      if (file !== null && await isRegularFile(file)) {
        return { scriptName, file, pathInfo, interpreter };
      }
      miss ??= { scriptName, file: null, pathInfo, interpreter };
    }
    if (slash < 0) break;
    start = slash;
  }
  return miss;
}

/** The interpreter for a segment name, by its longest matching extension; a bare ".php" is none. */
function interpreterFor(segment: string, cgi: Map<string, string>): string | null {
  let best: [string, string] | null = null;
  for (const [ext, interpreter] of cgi) {
    if (segment.length > ext.length && segment.endsWith(ext)) {
      if (best === null || ext.length > best[0].length) best = [ext, interpreter];
    }
  }
  return best === null ? null : best[1];
}

/** Whether a script file exists; missing, too long a name, unreadable: not one to run. */
async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isFile;
  } catch (e) {
    if (fsErrorStatus(e) !== null) return false;
    throw e;
  }
}
