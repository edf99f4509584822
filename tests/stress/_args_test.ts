import assert from "node:assert/strict";
import { parseStressArgs, type StressOptions } from "./_args.ts";

const noEnv = () => undefined;

Deno.test("parseStressArgs() reads options and defaults", () => {
  const cases: [string, string[], Record<string, string>, StressOptions][] = [
    ["defaults", [], {}, { durationSec: 10, users: 100, soakMinutes: null, hostileMinutes: null }],
    [
      "flags with a space",
      ["--duration", "3", "--users", "20"],
      {},
      { durationSec: 3, users: 20, soakMinutes: null, hostileMinutes: null },
    ],
    ["soak: shorter rounds", ["--soak", "2"], {}, {
      durationSec: 5,
      users: 100,
      soakMinutes: 2,
      hostileMinutes: null,
    }],
    ["soak with =", ["--soak=0.5"], {}, {
      durationSec: 5,
      users: 100,
      soakMinutes: 0.5,
      hostileMinutes: null,
    }],
    [
      "soak from the environment",
      [],
      { STRESS_SOAK: "3", STRESS_DURATION: "4" },
      { durationSec: 4, users: 100, soakMinutes: 3, hostileMinutes: null },
    ],
    [
      "hostile-input soak",
      ["--hostile", "1"],
      {},
      { durationSec: 5, users: 100, soakMinutes: null, hostileMinutes: 1 },
    ],
    [
      "an argument beats the environment",
      ["--users=7"],
      { STRESS_USERS: "50" },
      { durationSec: 10, users: 7, soakMinutes: null, hostileMinutes: null },
    ],
  ];
  for (const [name, args, env, expected] of cases) {
    assert.deepEqual(parseStressArgs(args, (k) => env[k]), expected, name);
  }
});

Deno.test("parseStressArgs() throws on unknown arguments and bad values", () => {
  const cases: [string[], RegExp][] = [
    [["--fast"], /Unknown argument "--fast"/],
    [["--duration", "0"], /Invalid duration "0"/],
    [["--users=1.5"], /Invalid users "1.5"/],
    [["--soak"], /Invalid soak ""/],
    [["--hostile", "x"], /Invalid hostile "x"/],
    [["--soak", "1", "--hostile", "1"], /Choose one of --soak and --hostile/],
    [["--soak", "-1"], /Invalid soak "-1"/],
    [["--soak=x"], /Invalid soak "x"/],
  ];
  for (const [args, error] of cases) {
    assert.throws(() => parseStressArgs(args, noEnv), error, args.join(" "));
  }
});
