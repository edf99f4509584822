import assert from "node:assert/strict";
import { SIGNAL_COMMANDS, takeSignalOption } from "../../../lib/cli/signal_command.ts";

Deno.test("takeSignalOption() takes -s name and -sname, and leaves the rest in order", () => {
  assert.deepEqual(takeSignalOption(["-s", "reload", "a.conf"]), {
    signal: "reload",
    rest: ["a.conf"],
  });
  assert.deepEqual(takeSignalOption(["a.conf", "-squit"]), { signal: "quit", rest: ["a.conf"] });
  assert.deepEqual(takeSignalOption(["-t", "a.conf"]), { signal: null, rest: ["-t", "a.conf"] });
});

Deno.test("takeSignalOption() refuses a missing, unknown or repeated name", () => {
  assert.throws(() => takeSignalOption(["-s"]), { message: 'option "-s" requires parameter' });
  assert.throws(() => takeSignalOption(["-s", "restart"]), {
    message: 'invalid option: "-s restart"',
  });
  assert.throws(() => takeSignalOption(["-s", "toString"]), {
    message: 'invalid option: "-s toString"',
  });
  assert.throws(() => takeSignalOption(["-s", "stop", "-s", "quit"]), {
    message: 'option "-s" is given twice',
  });
});

Deno.test("each command sends nginx's signal, but reopen sends USR2 (USR1 starts Deno's inspector)", () => {
  assert.deepEqual(SIGNAL_COMMANDS, {
    stop: "SIGTERM",
    quit: "SIGQUIT",
    reload: "SIGHUP",
    reopen: "SIGUSR2",
  });
});
