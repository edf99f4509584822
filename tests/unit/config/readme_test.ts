/** The README documents every directive the table knows: a row for each, a mention of each no-op. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ACCEPTED_NAMES } from "../../../lib/config/accepted.ts";
import { DIRECTIVES } from "../../../lib/config/directives.ts";

const README = await Deno.readTextFile(join(import.meta.dirname!, "..", "..", "..", "README.md"));

Deno.test("every directive has a row in one of the README's directive tables", () => {
  // A row's first cell: `name`, or several names (`limit_conn_status`, `limit_conn_log_level`).
  const documented = new Set<string>();
  for (const line of README.split("\n")) {
    const cell = /^\| (`[^|]+`) +\|/.exec(line)?.[1];
    if (cell === undefined) continue;
    for (const m of cell.matchAll(/`([a-z_]+)(?: \{ … \})?`/g)) documented.add(m[1]!);
  }
  const accepted = new Set(ACCEPTED_NAMES);
  const missing = [...DIRECTIVES.keys()].filter((name) =>
    !accepted.has(name) && !documented.has(name)
  );
  assert.deepEqual(missing, []);
});

Deno.test("every directive accepted without effect is named in the README", () => {
  const missing = ACCEPTED_NAMES.filter((name) => !README.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
