/**
 * The mutation fuzzer shared by the fuzz test and the hostile-input soak of `deno task stress`:
 * valid requests to mutate, a seeded PRNG, the mutations, and one case sent on a connection of its
 * own (half-closed after sending, with a 2 s deadline).
 */
import { RawClient } from "./_client.ts";

const DEADLINE_MS = 2000;

/** Valid requests to mutate. */
export const SEEDS = [
  "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
  "GET /files/a.txt?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n",
  "HEAD /files/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
  'GET /files/b.json HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nIf-None-Match: "abc"\r\n\r\n',
  "GET /old/ HTTP/1.0\r\n\r\n",
  "GET http://example.com/files/a.txt HTTP/1.1\r\nHost: example.com\r\n\r\n",
  "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n",
  "DELETE /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
  "POST /up/f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
  "POST /up/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n",
  "PUT /up/g.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
  "POST /up/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\n" +
  'Content-Length: 81\r\n\r\n--XX\r\nContent-Disposition: form-data; name="f"; filename="a.txt"' +
  "\r\n\r\nabc\r\n--XX--\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
  "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET / HTTP/1.1\r\nHost: x\r\n\r\n",
].map((s) => new TextEncoder().encode(s));

/** Bytes that matter to an HTTP parser, inserted more often than chance would. */
const SPECIAL = [
  0x0d,
  0x0a,
  0x00,
  0x20,
  0x09,
  0x3a,
  0x3b,
  0x2c,
  0x25,
  0x2f,
  0x2e,
  0x30,
  0x66,
  0xff,
];

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Applies 1–4 random mutations to a copy of `input`. */
export function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const byte = () => random() < 0.5 ? SPECIAL[int(SPECIAL.length)]! : int(256);
  let b = Array.from(input);
  for (let k = 1 + int(4); k > 0; k--) {
    const at = int(b.length + 1);
    switch (int(6)) {
      case 0: // flip one bit
        if (at < b.length) b[at] = b[at]! ^ (1 << int(8));
        break;
      case 1: // replace a byte
        if (at < b.length) b[at] = byte();
        break;
      case 2: // insert 1–8 bytes
        b.splice(at, 0, ...Array.from({ length: 1 + int(8) }, byte));
        break;
      case 3: // delete 1–16 bytes
        b.splice(at, 1 + int(16));
        break;
      case 4: // duplicate a range, up to 64 bytes, in place
        b.splice(at, 0, ...b.slice(at, at + 1 + int(64)));
        break;
      default: // truncate
        b = b.slice(0, at);
    }
  }
  return new Uint8Array(b);
}

/** The statuses answered, joined with "+"; "closed"; "timeout"; or "broken response: …". */
export type Outcome = string;

/** Sends one case, half-closes, reads every response until the server closes. */
export async function runCase(port: number, bytes: Uint8Array): Promise<Outcome> {
  const client = await RawClient.connect(port);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, DEADLINE_MS);
  const statuses: number[] = [];
  try {
    const sent = client.send(bytes).then(() => client.conn.closeWrite()).catch(() => {});
    // A HEAD response has no body; whether the server knew the method is not known here, so
    // after a HEAD only the first status counts and the rest is drained.
    const head = /^(\r?\n)*HEAD /.test(new TextDecoder("latin1").decode(bytes.subarray(0, 16)));
    for (;;) {
      try {
        const res = await client.read({ head });
        if (head) {
          statuses.push(res.status);
          await client.closedByServer();
          break;
        }
        // 100 Continue is interim: the final status follows.
        if (res.status !== 100) statuses.push(res.status);
      } catch (e) {
        if (timedOut) return "timeout";
        if (e instanceof Error && e.message.startsWith("Connection closed before")) break;
        // A response cut short (the server closed mid-body after an error) is worth a look.
        return `broken response: ${e}`;
      }
    }
    await sent;
    return statuses.length === 0 ? "closed" : statuses.join("+");
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
