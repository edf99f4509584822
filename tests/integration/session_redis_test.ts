/**
 * A Redis session store that is not there: the server starts anyway, answers the requests that need
 * a session with 503 and says why in the error log, serves the rest, and shuts down at once.
 */
import assert from "node:assert/strict";
import { serverProblems, withErrorLog } from "./_server.ts";

const PYTHON = "/usr/bin/python3";
const python = await Deno.stat(PYTHON).then(() => true, () => false);

Deno.test({
  name: python
    ? "a Redis store that is down: 503 and an error-log line, the rest served, a prompt shutdown"
    : `a Redis store that is down (skipped: "${PYTHON}" is missing)`,
  ignore: !python,
  async fn() {
    // A port nobody listens on: the kernel's pick, closed again.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const url = `redis://127.0.0.1:${probe.addr.port}/0`;
    probe.close();
    const started = Date.now();
    const served = withErrorLog(
      `access_log off;
server {
  listen 127.0.0.1:0;
  root site;
  session_store ${url};
  location /cgi/ { session on; cgi .py ${PYTHON}; }
}
`,
      {
        "site/index.html": "up\n",
        "site/cgi/hello.py": 'print("Content-Type: text/plain\\n\\nhello")\n',
      },
      async (s) => {
        const res = await fetch(`${s.base}/cgi/hello.py`);
        await res.body?.cancel();
        assert.equal(res.status, 503);
        assert.equal(await (await fetch(`${s.base}/`)).text(), "up\n");
      },
      "error",
    );
    // Start, two requests and the shutdown: nothing waits for a Redis that never answers.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the server did not shut down in 10 s")), 10_000);
    });
    let lines: string[];
    try {
      lines = await Promise.race([served, late]);
    } finally {
      clearTimeout(timer);
    }
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.ok(
      serverProblems(lines).some((l) => l.includes(`session store "${url}" failed: `)),
      lines.join("\n"),
    );
  },
});
