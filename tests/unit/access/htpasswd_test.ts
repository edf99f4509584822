/**
 * The `auth_basic_user_file` verifier: fixed vectors for every scheme (made with htpasswd,
 * openssl, Python's crypt on libxcrypt, and the SHA-crypt specification), vectors made at test
 * time by the tools on the machine, the file format, and the loaded file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseHtpasswd, UserFile, verifyPassword } from "../../../lib/access/htpasswd.ts";

/** [description, password, stored hash] */
const VECTORS: [string, string, string][] = [
  ["{PLAIN}", "pass", "{PLAIN}pass"],
  ["{PLAIN} with spaces and non-ASCII", "p\u00e4ss w\u00f6rd", "{PLAIN}p\u00e4ss w\u00f6rd"],
  ["{SHA} from htpasswd -nbs", "pass", "{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ="],
  ["{SSHA} with an 8-byte salt", "pass", "{SSHA}3+BeCKBamBE44X4wBIdKmUChyd5zYWx0MTIzNA=="],
  ["{SSHA} with a 4-byte salt", "pass", "{SSHA}83YpfkQDgy1AAp38wRP/0gclK0ZhYmNk"],
  [
    "{SSHA} with a binary salt and a UTF-8 password",
    "p\u00e4ssw\u00f6rd",
    "{SSHA}XrrdxZ1sYiRoF57kduTO1g+lnI76+/z9/v8AYWI=",
  ],
  ["$apr1$ from htpasswd -nbm", "pass", "$apr1$kUa6ZlMZ$sdVktoCuzhc.4uIiPh.NP."],
  ["$apr1$ from openssl passwd -apr1 -salt xyz", "pass", "$apr1$xyz$Ca6/9WC27B2EAPaaVyQAn."],
  ["$apr1$ of the empty password", "", "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0"],
  [
    "$apr1$ with a UTF-8 salt and password",
    "p\u00e4ssw\u00f6rd \u65e5\u672c",
    "$apr1$\u00fcn\u00ef$o4uNAyMTTBnb3N9fDcPMD.",
  ],
  ["$1$ from openssl passwd -1", "pass", "$1$saltsalt$hZR.9zfJXcVTsa9iTxnQR1"],
  ["$1$ with a space and a colon", "pa ss:word", "$1$abc$8HKvBQ5rpZ4b8F6eplv090"],
  ["$1$ with an empty salt", "pass", "$1$$uqbusDeGY2YWqg.T2S1100"],
  ["$1$ of the empty password", "", "$1$abc$Or2rbeUYTvt12aiVzMuS/."],
  [
    "$5$ from openssl passwd -5",
    "pass",
    "$5$saltsaltsaltsalt$8ZaDgO6lJyLj9q9ZTU9.mVbyxgexIt9wC/9rmQPBTU8",
  ],
  [
    "$5$ from htpasswd -nb2",
    "pass",
    "$5$yrX5BB8yCK183Z0B$WT.zwO4yOCBn6Ny9YsV1EQtAdgAt5WhGA4CBEdYruK.",
  ],
  [
    "$5$rounds=10000$ from the SHA-crypt specification",
    "Hello world!",
    "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
  ],
  [
    "$5$rounds=10000$ from libxcrypt",
    "pass",
    "$5$rounds=10000$saltstringsaltst$QZdE8S3UHe02I3aoI0fbv/W5udfc7BANfNCIde/cKK8",
  ],
  [
    "$5$rounds=1000$ (clamped from 10) from the specification",
    "the minimum number is still observed",
    "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
  ],
  [
    "$5$rounds=77777$ with a short salt from libxcrypt",
    "we have a short salt string but not a short password",
    "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/",
  ],
  [
    "$6$ from openssl passwd -6",
    "pass",
    "$6$saltsalt$KN.twvCyfwE67paW76hS2/bacYkY9PxIhxqYG9vL5bZmIwWBGDJ6mu4HlCosKUBfQwVXKXxXVXPcqdwd1Ip0X/",
  ],
  [
    "$6$ with a UTF-8 salt and password",
    "p\u00e4ssw\u00f6rd \u65e5\u672c",
    "$6$\u00fcn\u00efcode$Dztd.8hdQJ/6VySWUvp/cZJJouZ4HarLaGSGRcY1X.TK9ooq14lfStJHjpechsagoBDZQEB4imzpHQfaty2H.0",
  ],
  [
    "$6$ of the empty password",
    "",
    "$6$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD.",
  ],
  [
    "$6$rounds=1000$ from htpasswd -nb5 -r 1000",
    "pass",
    "$6$rounds=1000$l47/b0Y45V/Uzk86$k1Frjg2P.KWs3eMdLSijZLcOJSxkeOQhDcTfPt03nXlnbOFcIFJlpU0wN3Y5.Uqti7lyJkYq/animc5OWDTto/",
  ],
  [
    "$6$rounds=10000$ from libxcrypt",
    "Hello world!",
    "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
  ],
  [
    "$6$rounds=5000$ with a salt cut to 16 characters",
    "pass",
    "$6$rounds=5000$toolongsaltstrin$CiCyebR8NAFZNNbMGb.g1wYY/QBQAUMe8epinH7JVLsYzQa3bfVa7hY6H1yr7T.mBFRHjCLq3Nr48Qx0G6J5g.",
  ],
  [
    "$6$rounds=1000$ (clamped from 10) from the specification",
    "the minimum number is still observed",
    "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
  ],
  [
    "$2y$ from htpasswd -nbB",
    "pass",
    "$2y$05$GqyyE5uM9l33BB.nXCjH/.D3uJxCxaSYvY.o7v6zxral2k911qhgy",
  ],
  [
    "$2y$ from htpasswd -nbB -C 4",
    "pass",
    "$2y$04$4toDAeQyNtPC59KpnwbOBeHLmvuAFuHdwkLjb2Hxcnw7Ksc.FA5Um",
  ],
  [
    "$2b$ from libxcrypt",
    "pass",
    "$2b$04$abcdefghijklmnopqrstuufznL8bkzdtHwLhca4To/v9Lo9bA7fR6",
  ],
  [
    "$2a$ from the crypt_blowfish test vectors",
    "U*U",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
  ],
];

/** Ways to spoil a stored hash: each must stop it verifying the right password. */
const GARBLES: [string, (hash: string) => string][] = [
  ["truncated by one character", (hash) => hash.slice(0, -1)],
  ["cut to half its length", (hash) => hash.slice(0, Math.floor(hash.length / 2))],
  ["with a character appended", (hash) => `${hash}A`],
  [
    "with its last character changed",
    (hash) => hash.slice(0, -1) + (hash.endsWith("x") ? "y" : "x"),
  ],
  ["with trailing whitespace", (hash) => `${hash} `],
  ["in upper case", (hash) => hash.toUpperCase()],
];

for (const [description, password, hash] of VECTORS) {
  Deno.test(`verifyPassword() accepts the right password for ${description}`, async () => {
    assert.equal(await verifyPassword(password, hash), true);
  });

  Deno.test(`verifyPassword() refuses wrong passwords for ${description}`, async () => {
    const wrong = [`${password}x`, password.slice(0, -1), "wrong", ` ${password}`, ""];
    for (const attempt of wrong.filter((attempt) => attempt !== password)) {
      assert.equal(await verifyPassword(attempt, hash), false, `password "${attempt}"`);
    }
  });

  Deno.test(`verifyPassword() refuses a garbled hash for ${description}`, async () => {
    for (const [how, garble] of GARBLES) {
      const spoiled = garble(hash);
      if (spoiled === hash) continue;
      assert.equal(await verifyPassword(password, spoiled), false, `hash ${how}: "${spoiled}"`);
    }
  });
}

/** [description, stored string]: none verifies any password, none throws. */
const NEVER: [string, string][] = [
  ["the empty string", ""],
  ["a bare dollar", "$"],
  ["traditional DES crypt (htpasswd -d)", "saBtSvYEjHXq."],
  ["extended DES crypt", "_J9..CCCCXBrJUJV154M"],
  ["yescrypt", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"],
  ["scrypt", "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D"],
  ["an unknown brace scheme", "{MD5}GhIUgXyF/2mpgk1ZFeEbIg=="],
  ["a lower-case brace scheme", "{plain}pass"],
  ["{SHA} that is not base64", "{SHA}!!!!"],
  ["{SSHA} that is not base64", "{SSHA}!!!!"],
  ["{SSHA} shorter than a digest", "{SSHA}YWJj"],
  ["{SSHA} with nothing after it", "{SSHA}"],
  ["$apr1$ with nothing after it", "$apr1$"],
  ["$apr1$ without a hash", "$apr1$xyz$"],
  ["$apr1$ without the closing dollar", "$apr1$xyz"],
  ["$1$ with a salt over 8 characters", "$1$saltsaltX$hZR.9zfJXcVTsa9iTxnQR1"],
  ["$5$ with nothing after it", "$5$"],
  ["$5$rounds= without a number", "$5$rounds=$salt$8ZaDgO6lJyLj9q9ZTU9.mVbyxgexIt9wC/9rmQPBTU8"],
  [
    "$5$ with rounds below the minimum",
    "$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
  ],
  [
    "$5$ with rounds written with a leading zero",
    "$5$rounds=01000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
  ],
  [
    "$6$ with rounds beyond any number",
    "$6$rounds=99999999999999999999999$salt$KN.twvCyfwE67paW76hS2/bacYkY9PxIhxqYG9vL5bZmIwWBGDJ6mu4HlCosKUBfQwVXKXxXVXPcqdwd1Ip0X/",
  ],
  [
    "$6$ with a SHA-256 length hash",
    "$6$saltsaltsaltsalt$8ZaDgO6lJyLj9q9ZTU9.mVbyxgexIt9wC/9rmQPBTU8",
  ],
  ["$2$ (the first bcrypt)", "$2$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"],
  ["$2x$ (the buggy bcrypt)", "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"],
  ["$2y$ with cost 3", "$2y$03$GqyyE5uM9l33BB.nXCjH/.D3uJxCxaSYvY.o7v6zxral2k911qhgy"],
  ["$2y$ with cost 99", "$2y$99$GqyyE5uM9l33BB.nXCjH/.D3uJxCxaSYvY.o7v6zxral2k911qhgy"],
  ["$2y$ with a one-digit cost", "$2y$5$GqyyE5uM9l33BB.nXCjH/.D3uJxCxaSYvY.o7v6zxral2k911qhgy"],
  [
    "$2y$ with a character outside the alphabet",
    "$2y$05$GqyyE5uM9l33BB.nXCjH/.D3uJxCxaSYvY.o7v6zxral2k911qhg!",
  ],
  ["$2y$ with nothing after it", "$2y$"],
];

for (const [description, stored] of NEVER) {
  Deno.test(`verifyPassword() refuses ${description}`, async () => {
    for (const password of ["", "pass", "U*U", "the minimum number is still observed"]) {
      assert.equal(await verifyPassword(password, stored), false, `password "${password}"`);
    }
  });
}

Deno.test("verifyPassword() never throws on random stored strings after a scheme", async () => {
  const prefixes = [
    "{PLAIN}",
    "{SHA}",
    "{SSHA}",
    "$apr1$",
    "$1$",
    "$5$",
    "$6$",
    "$5$rounds=",
    "$2y$05$",
  ];
  for (let i = 0; i < 300; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(i % 80));
    const tail = String.fromCharCode(...bytes.map((byte) => 32 + (byte % 95)));
    const prefix = prefixes[i % prefixes.length]!;
    const result = await verifyPassword("pass", prefix + tail);
    assert.equal(typeof result, "boolean");
  }
});

Deno.test("verifyPassword() lets timers run during SHA-crypt rounds", async () => {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
  }, 0);
  try {
    const hash = "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA";
    assert.equal(await verifyPassword("Hello world!", hash), true);
    assert.equal(fired, true);
  } finally {
    clearTimeout(timer);
  }
});

// Vectors made now by the tools on this machine, from random passwords.

const HTPASSWD = "/usr/bin/htpasswd";
const OPENSSL = "/usr/bin/openssl";

async function installed(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      console.log(`Skipping the vectors made by "${path}": it is not installed`);
      return false;
    }
    throw error;
  }
}

const hasHtpasswd = await installed(HTPASSWD);
const hasOpenssl = await installed(OPENSSL);

/** Characters for random passwords: ASCII letters, spaces, colons, shell and crypt specials, UTF-8. */
const ALPHABET = [
  ..."abcXYZ019",
  " ",
  ":",
  "$",
  "\\",
  "'",
  '"',
  "#",
  "\u00e9",
  "\u00fc",
  "\u00df",
  "\u65e5",
  "\u672c",
  "\u{1F511}",
];

/** A random password of 1–20 characters (under bcrypt's 72 bytes), never starting with "-". */
function randomPassword(): string {
  const length = 1 + crypto.getRandomValues(new Uint8Array(1))[0]! % 20;
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]!).join("");
}

/** The fixed passwords every tool is tried with, besides random ones. */
const HARD_PASSWORDS = [
  "pa ss",
  "pa:ss:word",
  "p\u00e4ssw\u00f6rd \u65e5\u672c \u{1F511}",
  "$1$x$",
];

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${command} ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(output.stdout).trim();
}

/** [description, whether the tool is installed, the hash it writes for a password] */
type Tool = [string, boolean, (password: string) => Promise<string>];

/** htpasswd flags and the scheme they write; `-p` is left out: on Linux it writes no `{PLAIN}`. */
const HTPASSWD_FLAGS: [string[], string][] = [
  [["-m"], "$apr1$"],
  [["-s"], "{SHA}"],
  [["-B", "-C", "4"], "$2y$"],
  [["-2"], "$5$"],
  [["-5", "-r", "1000"], "$6$"],
];

const TOOLS: Tool[] = [
  ...HTPASSWD_FLAGS.map(([flags, scheme]): Tool => [
    `htpasswd -nb ${flags.join(" ")} (${scheme})`,
    hasHtpasswd,
    async (password) => {
      const line = await run(HTPASSWD, ["-nb", ...flags, "user", password]);
      const hash = parseHtpasswd(line).get("user") ?? "";
      assert.ok(hash.startsWith(scheme), `htpasswd wrote "${line}"`);
      return hash;
    },
  ]),
  ...["-apr1", "-1", "-5", "-6"].map((flag): Tool => [
    `openssl passwd ${flag}`,
    hasOpenssl,
    (password) => run(OPENSSL, ["passwd", flag, password]),
  ]),
];

for (const [description, available, make] of TOOLS) {
  Deno.test({
    name: `verifyPassword() checks hashes made now by ${description}`,
    ignore: !available,
    async fn() {
      const passwords = [...HARD_PASSWORDS, randomPassword(), randomPassword(), randomPassword()];
      for (const password of passwords) {
        const hash = await make(password);
        assert.equal(await verifyPassword(password, hash), true, `"${password}" as "${hash}"`);
        assert.equal(await verifyPassword(`${password}!`, hash), false, `"${password}!"`);
        assert.equal(await verifyPassword("", hash), false, `"" against "${hash}"`);
      }
    },
  });
}

// The file format.

/** [description, file text, expected entries in order] */
const PARSE_CASES: [string, string, [string, string][]][] = [
  ["an empty file", "", []],
  ["one entry without a final newline", "ann:{PLAIN}a", [["ann", "{PLAIN}a"]]],
  ["entries on LF lines", "ann:h1\nbob:h2\n", [["ann", "h1"], ["bob", "h2"]]],
  ["entries on CRLF lines", "ann:h1\r\nbob:h2\r\n", [["ann", "h1"], ["bob", "h2"]]],
  ["comment lines", "# users\nann:h1\n#bob:h2\n", [["ann", "h1"]]],
  ["blank lines, LF and CRLF", "\n\nann:h1\n\r\n\nbob:h2", [["ann", "h1"], ["bob", "h2"]]],
  ["a comment after the hash", "ann:h1:Ann Smith\nbob:h2:x:y\n", [["ann", "h1"], ["bob", "h2"]]],
  ["a comment after the hash on a CRLF line", "ann:h1:Ann\r\n", [["ann", "h1"]]],
  ["a repeated user: the first entry wins", "ann:first\nbob:h2\nann:second\n", [["ann", "first"], [
    "bob",
    "h2",
  ]]],
  ["a line without a colon", "just-a-name\nann:h1\n   \n", [["ann", "h1"]]],
  ["an empty hash", "ann:\nbob::comment\n", [["ann", ""], ["bob", ""]]],
  ["spaces, kept as nginx keeps them", " ann:h1 \n", [[" ann", "h1 "]]],
  ["a '#' inside a name, which is no comment", "an#n:h1\n", [["an#n", "h1"]]],
  ["names that differ in case only", "Ann:h1\nann:h2\n", [["Ann", "h1"], ["ann", "h2"]]],
  ["non-ASCII user names", "\u00e9l\u00e8ve:h1\n", [["\u00e9l\u00e8ve", "h1"]]],
  [
    "real hashes with dollars and slashes",
    "ann:$apr1$xyz$Ca6/9WC27B2EAPaaVyQAn.\nbob:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ=\n",
    [["ann", "$apr1$xyz$Ca6/9WC27B2EAPaaVyQAn."], ["bob", "{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ="]],
  ],
];

for (const [description, text, expected] of PARSE_CASES) {
  Deno.test(`parseHtpasswd() handles ${description}`, () => {
    assert.deepEqual([...parseHtpasswd(text)], expected);
  });
}

// The loaded file.

async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-htpasswd-" });
  try {
    const path = join(dir, "htpasswd");
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const USER_FILE = [
  "# test users",
  "ann:$apr1$xyz$Ca6/9WC27B2EAPaaVyQAn.:Ann",
  "bob:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ=",
  "",
  "cy:$2y$04$4toDAeQyNtPC59KpnwbOBeHLmvuAFuHdwkLjb2Hxcnw7Ksc.FA5Um",
  "ann:{PLAIN}other",
  "",
].join("\r\n");

/** [user, password, expected] */
const USER_CASES: [string, string, boolean][] = [
  ["ann", "pass", true],
  ["ann", "other", false],
  ["bob", "pass", true],
  ["cy", "pass", true],
  ["cy", "Pass", false],
  ["Ann", "pass", false],
  ["dan", "pass", false],
  ["", "pass", false],
  ["# test users", "", false],
];

Deno.test("UserFile.load() reads the file and verify() checks each user", async () => {
  await withFile(USER_FILE, async (path) => {
    const file = await UserFile.load(path);
    assert.equal(file.size, 3);
    for (const [user, password, expected] of USER_CASES) {
      assert.equal(await file.verify(user, password), expected, `${user}:${password}`);
    }
  });
});

Deno.test("UserFile.verify() refuses an unknown user whose password is the decoy's", async () => {
  const file = new UserFile(parseHtpasswd("ann:{PLAIN}secret\n"));
  assert.equal(await file.verify("ann", "secret"), true);
  assert.equal(await file.verify("bob", "secret"), false);
});

Deno.test("UserFile with no entries refuses everyone", async () => {
  await withFile("# nobody yet\n", async (path) => {
    const file = await UserFile.load(path);
    assert.equal(file.size, 0);
    assert.equal(await file.verify("ann", "pass"), false);
    assert.equal(await file.verify("", ""), false);
  });
});

Deno.test("UserFile.load() rejects a missing file with NotFound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webserv-htpasswd-" });
  try {
    await assert.rejects(UserFile.load(join(dir, "missing")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
