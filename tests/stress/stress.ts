/**
 * `deno task stress`: webserv under load, as a real process pinned to CPU 0 with the load on CPU 1.
 * `siege -b` with 100 users against a static page, a CGI script and a mixed URL list (static
 * files of several sizes, a directory listing, CGI in Python and Perl, a POST), then `wrk -c1000`.
 * Prints availability, transactions, failures and socket errors, and the server's RSS before and
 * after; exits 1 when availability is below 100 % or any error was seen.
 *
 * Options: `--duration N` (seconds per siege run, default 10; or STRESS_DURATION), `--users N`
 * (siege users, default 100; or STRESS_USERS). wrk runs for half the duration (at least 3 s).
 * `--soak N` (or STRESS_SOAK) runs rounds of `wrk -c200` on the static page and siege on the mixed
 * list instead, `--duration` seconds each (default 5), for N minutes, printing the server's RSS
 * after each round; exits 1 when the RSS after the last round is over 20 % above the first's.
 * `--hostile N` (or STRESS_HOSTILE) runs N minutes of rounds of mutated requests (the fuzz test's
 * mutator, 8 clients) instead, `--duration` seconds each (default 5), and exits 1 on a hang, an
 * unexpected 5xx, a failed normal request, or RSS still growing after the first third.
 */
import { join, resolve } from "node:path";
import {
  isInstalled,
  killGroup,
  readRss,
  spawnGroup,
  waitForListening,
  withScratchDir,
} from "../bench/_child.ts";
import { runWrk } from "../bench/_wrk.ts";
import { parseStressArgs, type StressOptions } from "./_args.ts";
import { formatRow, problems, type Row } from "./_rows.ts";
import { runSiege } from "./_siege.ts";
import { hostileSoak } from "./_hostile.ts";
import { soak } from "./_soak.ts";

const REPO = resolve(import.meta.dirname ?? ".", "../..");
const CGI_SCRIPTS = join(REPO, "tests", "testdata", "cgi");
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const WRK_CONNECTIONS = 1000;
const SOAK_WRK_CONNECTIONS = 200;

/** The site, the scripts and the config; returns the config's path. */
async function writeSite(tmp: string, users: number): Promise<string> {
  const www = join(tmp, "www");
  await Deno.mkdir(join(www, "img"), { recursive: true });
  await Deno.mkdir(join(www, "files"), { recursive: true });
  await Deno.mkdir(join(tmp, "cgi"));
  await Deno.mkdir(join(tmp, "up"));
  const page = `<!doctype html><title>stress</title><h1>stress</h1>${"<p>text</p>".repeat(150)}\n`;
  await Deno.writeTextFile(join(www, "index.html"), page);
  await Deno.writeTextFile(join(www, "style.css"), "body { font: 16px sans-serif; }\n".repeat(40));
  await Deno.writeTextFile(join(www, "data.json"), JSON.stringify({ items: [1, 2, 3] }) + "\n");
  for (const [name, size] of [["64k.bin", 64 * 1024], ["1m.bin", 1024 * 1024]] as const) {
    await Deno.writeFile(join(www, "img", name), new Uint8Array(size).fill(97));
  }
  for (let i = 0; i < 20; i++) await Deno.writeTextFile(join(www, "files", `f${i}.txt`), `${i}\n`);
  for (const name of ["hello.py", "hello.pl", "echo.py"]) {
    await Deno.copyFile(join(CGI_SCRIPTS, name), join(tmp, "cgi", name));
  }
  const python = (await isInstalled("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  const perl = (await isInstalled("/usr/bin/perl")) ? "/usr/bin/perl" : "perl";
  const conf = join(tmp, "stress.conf");
  // Enough CGI slots for every siege user: past cgi_max_processes the server answers 503 by
  // design, which siege would count as unavailability.
  await Deno.writeTextFile(
    conf,
    `access_log off;
worker_connections 4096;
cgi_max_processes ${Math.max(64, users * 2)};
server {
  listen 127.0.0.1:0;
  root www;
  location /files/ { autoindex on; }
  location /up/ { upload_store up; client_max_body_size 64k; }
  location /cgi/ {
    alias cgi/;
    allow_methods GET POST;
    cgi .py ${python};
    cgi .pl ${perl};
  }
}
`,
  );
  return conf;
}

/** The mixed URL list, in siege's format. */
async function writeUrls(tmp: string, base: string): Promise<string> {
  const file = join(tmp, "urls.txt");
  const paths = [
    "/",
    "/index.html",
    "/style.css",
    "/data.json",
    "/img/64k.bin",
    "/img/1m.bin",
    "/files/",
    "/files/f7.txt",
    "/cgi/hello.py?mixed",
    "/cgi/hello.pl",
    "/cgi/echo.py POST name=siege&value=1",
  ];
  await Deno.writeTextFile(file, paths.map((p) => `${base}${p}\n`).join(""));
  return file;
}

/** The soft limit on open files of a process, from /proc/<pid>/limits. */
async function openFileLimit(pid: number): Promise<number | null> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`).catch(() => "");
  const m = /^Max open files\s+(\d+)/m.exec(limits);
  return m === null ? null : Number(m[1]);
}

async function main(): Promise<number> {
  let options: StressOptions;
  try {
    options = parseStressArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  for (const tool of ["siege", "wrk"]) {
    if (!(await isInstalled(tool))) {
      console.error(`${tool} is not installed: apt-get install ${tool}`);
      return 1;
    }
  }
  const pinned = (await isInstalled("taskset")) && navigator.hardwareConcurrency >= 2;
  if (!pinned) console.error("stress: taskset or a second CPU missing, running unpinned");
  const clientCpu = pinned ? CLIENT_CPU : null;

  return await withScratchDir("webserv-stress-", "stress", async (tmp) => {
    const conf = await writeSite(tmp, options.users);
    const cmd = [Deno.execPath(), "run", "-A", join(REPO, "main.ts"), conf];
    const argv = pinned ? ["taskset", "-c", SERVER_CPU, ...cmd] : cmd;
    const server = spawnGroup(argv[0]!, argv.slice(1), { stdout: "null", stderr: "piped" });
    // A flag, not a race against a resolved promise: that race is lost by an exit already seen.
    let serverExited = false;
    server.status.then(() => serverExited = true);
    const { port, stderr } = await waitForListening(server, "webserv");
    const base = `http://127.0.0.1:${port}`;
    const urls = await writeUrls(tmp, base);
    const nofile = await openFileLimit(server.pid);
    if (nofile !== null && nofile < WRK_CONNECTIONS + options.users + 100) {
      console.error(`stress: the server may open only ${nofile} files: raise "ulimit -n"`);
    }
    const rssBefore = await readRss(server.pid);
    if (options.hostileMinutes !== null) {
      console.error(
        `stress: hostile-input soak, RSS before ${rssBefore?.rssMiB.toFixed(1) ?? "?"} MiB; ` +
          `server on CPU ${pinned ? SERVER_CPU : "any"}, mutated requests from this process`,
      );
      const code = await hostileSoak({
        minutes: options.hostileMinutes,
        roundSec: options.durationSec,
        clients: 8,
        port,
        serverPid: server.pid,
        serverExited: () => serverExited,
        serverLog: stderr,
      });
      await killGroup(server);
      return code;
    }
    if (options.soakMinutes !== null) {
      console.error(
        `stress: soak, RSS before ${rssBefore?.rssMiB.toFixed(1) ?? "?"} MiB; ` +
          `server on CPU ${pinned ? SERVER_CPU : "any"}, load on CPU ${clientCpu ?? "any"}`,
      );
      const code = await soak({
        minutes: options.soakMinutes,
        durationSec: options.durationSec,
        users: options.users,
        wrkConnections: SOAK_WRK_CONNECTIONS,
        staticUrl: `${base}/index.html`,
        urlFile: urls,
        cpu: clientCpu,
        tmp,
        serverPid: server.pid,
        serverExited: () => serverExited,
        serverLog: stderr,
      });
      await killGroup(server);
      return code;
    }
    const wrkSec = Math.max(3, Math.floor(options.durationSec / 2));
    console.error(
      `stress: siege ${options.users} users × ${options.durationSec} s per run, ` +
        `wrk -c${WRK_CONNECTIONS} × ${wrkSec} s; server on CPU ${pinned ? SERVER_CPU : "any"}, ` +
        `load on CPU ${clientCpu ?? "any"}`,
    );

    const siegeBase = {
      users: options.users,
      durationSec: options.durationSec,
      cpu: clientCpu,
      tmp,
    };
    const runs: [string, () => Promise<Row>][] = [
      ["siege static page", async () => ({
        name: "siege static page",
        siege: await runSiege({ ...siegeBase, url: `${base}/index.html` }),
      })],
      ["siege CGI script", async () => ({
        name: "siege CGI script",
        siege: await runSiege({ ...siegeBase, url: `${base}/cgi/hello.py?stress` }),
      })],
      ["siege mixed URL list", async () => ({
        name: "siege mixed URL list",
        siege: await runSiege({ ...siegeBase, urlFile: urls }),
      })],
      [`wrk -c${WRK_CONNECTIONS} static page`, async () => ({
        name: `wrk -c${WRK_CONNECTIONS} static page`,
        wrk: await runWrk({
          url: `${base}/index.html`,
          connections: WRK_CONNECTIONS,
          durationSec: wrkSec,
          cpu: clientCpu,
        }),
      })],
    ];

    const rows: Row[] = [];
    for (const [name, run] of runs) {
      console.error(`stress: ${name}…`);
      let row: Row;
      try {
        row = await run();
      } catch (e) {
        row = { name, failure: (e as Error).message };
      }
      const exited = serverExited;
      if (exited) row.failure = `the server exited: ${stderr().trim()}`;
      rows.push(row);
      console.error(`  ${formatRow(row)}`);
      for (const line of row.siege?.errors.slice(0, 5) ?? []) console.error(`    ${line}`);
      if (exited) break;
    }
    const rssAfter = await readRss(server.pid);
    await killGroup(server);

    console.log("\nwebserv under stress");
    for (const row of rows) console.log(formatRow(row));
    const mib = (r: { rssMiB: number } | null) => r === null ? "?" : r.rssMiB.toFixed(1);
    console.log(
      `RSS before ${mib(rssBefore)} MiB, after ${mib(rssAfter)} MiB, ` +
        `peak ${rssAfter === null ? "?" : rssAfter.peakMiB.toFixed(1)} MiB`,
    );
    const failed = rows.filter((r) => problems(r).length > 0);
    const logged = stderr().split("\n").filter((l) => l !== "" && !/listening on/.test(l));
    if (logged.length > 0) {
      console.log(`the server logged ${logged.length} line(s), the last:`);
      for (const line of logged.slice(-10)) console.log(`  ${line}`);
    }
    if (failed.length > 0 || rows.length < runs.length) {
      console.log(`FAILED: ${failed.map((r) => r.name).join(", ") || "a run did not happen"}`);
      return 1;
    }
    console.log("all runs: 100 % availability, no errors");
    return 0;
  });
}

Deno.exit(await main());
