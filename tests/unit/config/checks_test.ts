/** The checks that need the file system or the resolver, run by verifyConfig() (and so by -t). */
import assert from "node:assert/strict";
import { ConfigError, parseConfig, verifyConfig } from "../../../lib/config/load.ts";

const F = "/srv/conf/site.conf";

/** What verifyConfig() says of a server block: its warnings, or the error's message. */
async function verify(body: string): Promise<string[] | string> {
  try {
    return await verifyConfig(parseConfig(`server {\n${body}\n}\n`, F));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
    return e.message;
  }
}

Deno.test("verifyConfig() refuses an upload_store that does not exist, with file:line", async () => {
  assert.equal(
    await verify("listen 0;\nupload_store /nonexistent/uploads;"),
    `${F}:3: upload_store "/nonexistent/uploads" does not exist`,
  );
  const file = await Deno.makeTempFile();
  try {
    assert.equal(
      await verify(`upload_store ${file};`),
      `${F}:2: upload_store "${file}" is not a directory`,
    );
  } finally {
    await Deno.remove(file);
  }
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await verify(`location /up/ { upload_store ${dir}; }`), []);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("verifyConfig() warns about a CGI interpreter it cannot find, with file:line", async () => {
  assert.deepEqual(await verify("cgi .rb no-such-interpreter-here;"), [
    `${F}:2: cgi interpreter "no-such-interpreter-here" not found in /usr/local/bin:/usr/bin:/bin`,
  ]);
  assert.deepEqual(await verify("cgi .x /nonexistent/bin/x;"), [
    `${F}:2: cgi interpreter "/nonexistent/bin/x" is not an executable file`,
  ]);
  const plain = await Deno.makeTempFile();
  try {
    await Deno.chmod(plain, 0o644);
    assert.deepEqual(await verify(`cgi .h ${plain};`), [
      `${F}:2: cgi interpreter "${plain}" is not an executable file`,
    ]);
  } finally {
    await Deno.remove(plain);
  }
  assert.deepEqual(await verify("cgi .sh sh;\ncgi .b /bin/sh;"), []);
});

Deno.test("verifyConfig() resolves listen host names as nginx does", async () => {
  assert.equal(
    await verify("listen notanumber;"),
    `${F}:2: host not found in "notanumber" of the "listen" directive`,
  );
  assert.deepEqual(await verify("listen localhost:0;\nlisten 127.0.0.1:0;\nlisten [::1]:0;"), []);
});
