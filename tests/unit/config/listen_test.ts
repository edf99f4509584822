import assert from "node:assert/strict";
import { formatListen, parseListen } from "../../../lib/config/listen.ts";
import type { ListenAddress } from "../../../lib/config/types.ts";

const VALID: Array<[text: string, expected: ListenAddress]> = [
  ["8080", { host: "0.0.0.0", port: 8080 }],
  ["0", { host: "0.0.0.0", port: 0 }],
  ["65535", { host: "0.0.0.0", port: 65535 }],
  ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
  ["0.0.0.0:80", { host: "0.0.0.0", port: 80 }],
  ["*:8080", { host: "0.0.0.0", port: 8080 }],
  ["localhost:3000", { host: "localhost", port: 3000 }],
  ["Example.COM:81", { host: "example.com", port: 81 }],
  ["[::1]:8080", { host: "::1", port: 8080 }],
  ["[::]:0", { host: "::", port: 0 }],
  ["[::1]", { host: "::1", port: 80 }],
  ["localhost", { host: "localhost", port: 80 }],
  ["127.0.0.1", { host: "127.0.0.1", port: 80 }],
];

for (const [text, expected] of VALID) {
  Deno.test(`parseListen() reads "${text}"`, () => {
    assert.deepEqual(parseListen(text), expected);
  });
}

const INVALID: Array<[text: string, problem: string]> = [
  ["99999", "invalid port"],
  ["65536", "invalid port"],
  ["127.0.0.1:99999", "invalid port"],
  ["127.0.0.1:", "invalid port"],
  ["127.0.0.1:80a", "invalid port"],
  ["127.0.0.1:-1", "invalid port"],
  ["[::1]:x", "invalid port"],
  [":8080", "no host"],
  ["256.0.0.1:80", "invalid host"],
  ["1.2.3:80", "invalid host"],
  ["::1:8080", "invalid host"],
  ["[::1", "invalid host"],
  ["[::1]8080", "invalid host"],
  ["[zz]:80", "invalid host"],
  ["bad_host:80", "invalid host"],
  ["-a.com:80", "invalid host"],
];

for (const [text, problem] of INVALID) {
  Deno.test(`parseListen() rejects "${text}" with "${problem}"`, () => {
    assert.deepEqual(parseListen(text), {
      error: `${problem} in "${text}" of the "listen" directive`,
    });
  });
}

Deno.test("formatListen() brackets IPv6 hosts", () => {
  assert.equal(formatListen({ host: "127.0.0.1", port: 80 }), "127.0.0.1:80");
  assert.equal(formatListen({ host: "::1", port: 8080 }), "[::1]:8080");
});
