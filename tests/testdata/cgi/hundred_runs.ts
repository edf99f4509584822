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

const before = await fdCount();
let bodies = 0;
for (let i = 0; i < 100; i++) {
  const run = await runCgi({
    interpreter: "/usr/bin/perl",
    scriptFile: join(dir, "hello.pl"),
    env: { QUERY_STRING: String(i), PATH: "/usr/bin:/bin" },
  });
  let text = "";
  for await (const piece of run.body) text += dec.decode(piece);
  run.close();
  await run.finished;
  if (text === `hello from perl ${i}\n`) bodies++;
}
console.log(JSON.stringify({ before, after: await fdCount(), children: await children(), bodies }));
