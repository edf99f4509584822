import assert from "node:assert/strict";
import {
  exitCodeOf,
  NO_REEXEC,
  parseCmdline,
  planReexec,
  type ReexecFacts,
  RUNTIME_ENV,
} from "../../../lib/cli/runtime_env.ts";

function facts(over: Partial<ReexecFacts> = {}): ReexecFacts {
  return {
    env: {},
    args: ["site.conf"],
    cmdline: ["deno", "run", "-A", "/srv/main.ts", "site.conf"],
    execPath: "/usr/bin/deno",
    mainPath: "/srv/main.ts",
    permissionFlags: ["--allow-read", "--allow-net"],
    pid: 4242,
    ...over,
  };
}

Deno.test("planReexec() runs the same command line with the runtime's variables", () => {
  const plan = planReexec(facts());
  assert.deepEqual(plan, {
    command: "/usr/bin/deno",
    args: ["run", "-A", "/srv/main.ts", "site.conf"],
    env: { ...RUNTIME_ENV, [NO_REEXEC]: "4242" },
  });
});

Deno.test("planReexec() re-runs a compiled executable with its arguments", () => {
  const plan = planReexec(facts({
    cmdline: ["./webserv", "-c", "x"],
    execPath: "/opt/webserv",
    args: ["x"],
  }));
  assert.equal(plan?.command, "/opt/webserv");
  assert.deepEqual(plan?.args, ["-c", "x"]);
});

Deno.test("planReexec() rebuilds the command line without /proc", () => {
  assert.deepEqual(planReexec(facts({ cmdline: null }))?.args, [
    "run",
    "--allow-read",
    "--allow-net",
    "--unstable-net",
    "/srv/main.ts",
    "site.conf",
  ]);
  const compiled = facts({ cmdline: null, execPath: "/opt/webserv", mainPath: "/tmp/x/main.ts" });
  assert.deepEqual(planReexec(compiled)?.args, ["site.conf"]);
});

Deno.test("planReexec() does nothing when the variables are set, or re-exec is turned off", () => {
  const set = Object.fromEntries(Object.keys(RUNTIME_ENV).map((k) => [k, "1"]));
  assert.equal(planReexec(facts({ env: set })), null);
  assert.equal(planReexec(facts({ env: { [NO_REEXEC]: "1" } })), null);
  // The re-executed server itself (its parent's pid in the guard) never starts another.
  assert.equal(planReexec(facts({ env: { [NO_REEXEC]: "4241" } })), null);
});

Deno.test("planReexec() does nothing for options that serve nothing", () => {
  for (const option of ["-t", "--test", "-h", "--help", "-V", "--version", "-s"]) {
    assert.equal(planReexec(facts({ args: [option, "site.conf"] })), null, option);
  }
});

Deno.test("parseCmdline() splits /proc's NUL-separated words", () => {
  const bytes = new TextEncoder().encode("deno\0run\0-A\0a b.ts\0\0x\0");
  assert.deepEqual(parseCmdline(bytes), ["deno", "run", "-A", "a b.ts", "", "x"]);
  assert.deepEqual(parseCmdline(new Uint8Array()), []);
});

Deno.test("exitCodeOf() gives the child's code, or 128 + its signal", () => {
  assert.equal(exitCodeOf({ success: true, code: 0, signal: null }), 0);
  assert.equal(exitCodeOf({ success: false, code: 1, signal: null }), 1);
  assert.equal(exitCodeOf({ success: false, code: 143, signal: "SIGTERM" }), 143);
  assert.equal(exitCodeOf({ success: false, code: 137, signal: "SIGKILL" }), 137);
});
