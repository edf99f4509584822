// Runs hello.pl 100 times in a process of its own (test files share one process under --parallel)
// and prints {"before": fds, "after": fds, "children": [...], "bodies": n} as JSON.
import { join } from "node:path";
import { runCgi } from "../../../lib/cgi/runner.ts";

const dir = import.meta.dirname ?? ".";
const dec = new TextDecoder();

async function fdCount(): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir("/proc/self/fd")) n++;
  return n;
}

async function children(): Promise<number[]> {
  const pids: number[] = [];
  for await (const task of Deno.readDir("/proc/self/task")) {
    const text = await Deno.readTextFile(`/proc/self/task/${task.name}/children`).catch(() => "");
    for (const pid of text.split(" ")) if (pid.trim() !== "") pids.push(Number(pid));
  }
  return pids;
}

/**
 * The descriptor count once it has stopped changing: the runtime opens a few of its own (two
 * sockets, about half a second after start) at a moment no event tells, so the count is read
 * every 100 ms until five readings in a row agree (for at most 10 s).
 */
async function settledFdCount(): Promise<number> {
  let last = await fdCount();
  for (let same = 0, tries = 0; same < 5 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await fdCount();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** One run of hello.pl; true when it printed what it should. */
async function runOnce(i: number): Promise<boolean> {
  const run = await runCgi({
    interpreter: "/usr/bin/perl",
    scriptFile: join(dir, "hello.pl"),
    env: { QUERY_STRING: String(i), PATH: "/usr/bin:/bin" },
  });
  let text = "";
  for await (const piece of run.body) text += dec.decode(piece);
  run.close();
  await run.finished;
  return text === `hello from perl ${i}\n`;
}

// A first run opens what the runtime keeps for spawning; the baseline is taken after it.
await runOnce(-1);
const before = await settledFdCount();
let bodies = 0;
for (let i = 0; i < 100; i++) if (await runOnce(i)) bodies++;
const after = await settledFdCount();
console.log(JSON.stringify({ before, after, children: await children(), bodies }));
