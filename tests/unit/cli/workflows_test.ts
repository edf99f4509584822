/** The GitHub workflows run what the repository says they run. */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..", "..");
const read = (name: string) => Deno.readTextFile(join(ROOT, ".github", "workflows", name));

Deno.test("ci.yml runs .ci/run, which runs the README's check and test commands", async () => {
  const ci = await read("ci.yml");
  assert.match(ci, /^\s+run: \.ci\/run$/m);
  const run = await Deno.readTextFile(join(ROOT, ".ci", "run"));
  assert.match(run, /npx -y deno@2\.9\.6 task check/);
  assert.match(run, /npx -y deno@2\.9\.6 task test/);
  for (const pkg of ["redis-server", "haproxy"]) {
    assert.match(run, new RegExp(`need\\+=\\(${pkg}\\)`));
  }
});

Deno.test("release.yml compiles every target on v* tags and attaches the files and SHA256SUMS", async () => {
  const release = await read("release.yml");
  assert.match(release, /tags: \["v\*"\]/);
  assert.match(release, /RELEASE_TARGETS/);
  assert.match(release, /deno task compile --target "\$target" --out-dir dist/);
  assert.match(release, /sha256sum webserv-\* > SHA256SUMS/);
  assert.match(release, /dist\/webserv-\*\n\s+dist\/SHA256SUMS/);
  assert.match(release, /deno-version: v2\.9\.6/);
});
