/** `session_store redis://…` URLs: recognised, checked and shown without their password. */

/** Is the `session_store` value a Redis URL (rather than a directory)? */
export function isRedisUrl(value: string): boolean {
  return /^rediss?:\/\//i.test(value);
}

/**
 * Checks a Redis URL as `session_store` takes it; returns the problem, or null when it is usable.
 * The form is node-redis's: `redis[s]://[[user]:password@]host[:port][/db]`.
 */
export function redisUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "it is not a valid URL";
  }
  if (url.hostname === "") return "it names no host";
  if (!/^(\/\d{0,5})?$/.test(url.pathname)) return "its path must be a database number";
  if (url.search !== "" || url.hash !== "") return "it may not have a query or a fragment";
  return null;
}

/** The URL without its password, for logs. */
export function redactedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== "") url.password = "***";
    return url.href;
  } catch {
    return value;
  }
}

/**
 * Whether the Redis of a URL accepts a TCP connection within `timeoutMs`: null, or why not (for
 * a warning of `-t` and start-up; the server starts either way and answers 503 meanwhile).
 */
export async function redisAnswers(value: string, timeoutMs = 2000): Promise<string | null> {
  const url = new URL(value);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? 6379 : Number(url.port);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no connection within ${timeoutMs} ms`), timeoutMs);
  });
  const attempt = Deno.connect({ hostname, port }).then(
    (conn) => {
      conn.close();
      return null;
    },
    (e: unknown) => e instanceof Error ? e.message : String(e),
  );
  try {
    const problem = await Promise.race([attempt, late]);
    return problem === null
      ? null
      : `session store "${redactedUrl(value)}" does not answer: ${problem}`;
  } finally {
    // A connection made after the time limit is closed too (by attempt's handler).
    clearTimeout(timer);
  }
}
