import assert from "node:assert/strict";
import { parseSize, parseStressArgs, type StressOptions } from "./_args.ts";

const noEnv = () => undefined;

Deno.test("parseStressArgs() reads options and defaults", () => {
  const cases: [string, string[], Record<string, string>, StressOptions][] = [
    ["defaults", [], {}, {
      durationSec: 10,
      users: 100,
      soakMinutes: null,
      hostileMinutes: null,
      proxyDownloadBytes: null,
    }],
    [
      "flags with a space",
      ["--duration", "3", "--users", "20"],
      {},
      {
        durationSec: 3,
        users: 20,
        soakMinutes: null,
        hostileMinutes: null,
        proxyDownloadBytes: null,
      },
    ],
    ["soak: shorter rounds", ["--soak", "2"], {}, {
      durationSec: 5,
      users: 100,
      soakMinutes: 2,
      hostileMinutes: null,
      proxyDownloadBytes: null,
    }],
    ["soak with =", ["--soak=0.5"], {}, {
      durationSec: 5,
      users: 100,
      soakMinutes: 0.5,
      hostileMinutes: null,
      proxyDownloadBytes: null,
    }],
    [
      "soak from the environment",
      [],
      { STRESS_SOAK: "3", STRESS_DURATION: "4" },
      {
        durationSec: 4,
        users: 100,
        soakMinutes: 3,
        hostileMinutes: null,
        proxyDownloadBytes: null,
      },
    ],
    [
      "hostile-input soak",
      ["--hostile", "1"],
      {},
      {
        durationSec: 5,
        users: 100,
        soakMinutes: null,
        hostileMinutes: 1,
        proxyDownloadBytes: null,
      },
    ],
    [
      "an argument beats the environment",
      ["--users=7"],
      { STRESS_USERS: "50" },
      {
        durationSec: 10,
        users: 7,
        soakMinutes: null,
        hostileMinutes: null,
        proxyDownloadBytes: null,
      },
    ],
    [
      "proxy download: 2 GiB within 60 s",
      ["--proxy-download"],
      {},
      {
        durationSec: 60,
        users: 100,
        soakMinutes: null,
        hostileMinutes: null,
        proxyDownloadBytes: 2 * 1024 ** 3,
      },
    ],
    [
      "proxy download of a smaller body, from the environment",
      ["--duration=20"],
      { STRESS_PROXY_DOWNLOAD: "1", STRESS_SIZE: "256m" },
      {
        durationSec: 20,
        users: 100,
        soakMinutes: null,
        hostileMinutes: null,
        proxyDownloadBytes: 256 * 1024 ** 2,
      },
    ],
    [
      "STRESS_PROXY_DOWNLOAD=0 is off",
      [],
      { STRESS_PROXY_DOWNLOAD: "0" },
      {
        durationSec: 10,
        users: 100,
        soakMinutes: null,
        hostileMinutes: null,
        proxyDownloadBytes: null,
      },
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
    [["--soak", "1", "--hostile", "1"], /Choose one of --soak, --hostile and --proxy-download/],
    [["--proxy-download", "--soak", "1"], /Choose one of --soak, --hostile and --proxy-download/],
    [["--size", "1g"], /--size goes with --proxy-download/],
    [["--proxy-download", "--size", "lots"], /Invalid size "lots"/],
    [["--proxy-download", "--size=0"], /Invalid size "0"/],
    [["--proxy-download=1"], /Unknown argument "--proxy-download=1"/],
    [["--soak", "-1"], /Invalid soak "-1"/],
    [["--soak=x"], /Invalid soak "x"/],
  ];
  for (const [args, error] of cases) {
    assert.throws(() => parseStressArgs(args, noEnv), error, args.join(" "));
  }
});

Deno.test("parseSize() reads bytes and binary k/m/g suffixes", () => {
  const cases: [string, number | null][] = [
    ["1024", 1024],
    ["64k", 65536],
    ["256M", 256 * 1024 ** 2],
    ["2g", 2 * 1024 ** 3],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5m", 1.5 * 1024 ** 2],
    ["0", null],
    ["-1", null],
    ["1t", null],
    ["", null],
  ];
  for (const [text, expected] of cases) assert.equal(parseSize(text), expected, text);
});
