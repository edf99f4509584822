/**
 * Mutation fuzzing: valid requests with bytes flipped, inserted, deleted, duplicated or cut off,
 * from a seeded PRNG, for a bounded time. Each goes on its own connection (half-closed after
 * sending, with a 2 s deadline); after every batch of 50 a normal request must still get 200.
 * FUZZ_SEED and FUZZ_MS change the seed (default 20261201) and the time (default 3000 ms).
 */
import assert from "node:assert/strict";
import { rawRequest } from "./_client.ts";
import { mutate, type Outcome, prng, runCase, SEEDS } from "./_fuzz.ts";
import { serverProblems, startTestServer, stopAndReadErrorLog } from "./_server.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261201);
const DURATION_MS = Number(Deno.env.get("FUZZ_MS") ?? 3000);
const BATCH = 50;

const CONFIG = `
access_log off;
server {
  listen 127.0.0.1:0;
  server_name example.com;
  root site;
  client_header_timeout 1s;
  client_body_timeout 1s;
  location /up/ { upload_store up; client_max_body_size 64k; }
  location /files/ { autoindex on; }
  location /old/ { return 301 /files/; }
}
`;
const FILES = {
  "site/index.html": "home\n",
  "site/files/a.txt": "a file\n",
  "site/files/b.json": '{"b": 1}\n',
  "up/README.txt": "uploads\n",
};

Deno.test("fuzz: mutated requests are answered or closed, never a crash or a hang", async () => {
  const s = await startTestServer(`error_log error.log info;\n${CONFIG}`, FILES);
  const random = prng(SEED);
  const outcomes = new Map<Outcome, number>();
  const odd: string[] = [];
  let cases = 0;
  try {
    const until = Date.now() + DURATION_MS;
    while (Date.now() < until) {
      for (let i = 0; i < BATCH; i++) {
        const input = mutate(SEEDS[Math.floor(random() * SEEDS.length)]!, random);
        const outcome = await runCase(s.port, input);
        cases++;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === "timeout" || outcome.startsWith("broken") || /\b5\d\d\b/.test(outcome)) {
          odd.push(`${outcome}: ${JSON.stringify(new TextDecoder("latin1").decode(input))}`);
        }
      }
      const ok = await rawRequest(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(ok.status, 200, `after ${cases} cases`);
    }
  } finally {
    await s.server.shutdown();
  }
  const logged = await stopAndReadErrorLog(s);
  await s.close();
  const table = [...outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${n}\t${o}`);
  console.log(`fuzz: seed ${SEED}, ${cases} cases\n${table.join("\n")}`);
  // Problems the server logged as its own (client mistakes are logged at info).
  const bugs = serverProblems(logged);
  // 501 (unknown method or coding) and 505 (version) are answers to the input; 500 is a bug.
  const serverErrors = odd.filter((o) => !/^(\d+\+)*(501|505)(\+\d+)*:/.test(o));
  assert.deepEqual({ serverErrors, bugs }, { serverErrors: [], bugs: [] });
  assert.ok(cases >= BATCH);
});
