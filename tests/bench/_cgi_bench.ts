/**
 * The CGI part of `deno task bench`: a trivial Python and PHP script served by webserv and by
 * lighttpd's mod_cgi, one server at a time, each loaded by wrk with a few connections.
 */
import { join } from "node:path";
import { isInstalled, killGroup } from "./_child.ts";
import { cgiContenders } from "./_cgi_servers.ts";
import type { CgiRow } from "./_cgi_report.ts";
import { available } from "./_servers.ts";
import { runWrk } from "./_wrk.ts";

const HERE = import.meta.dirname ?? ".";

/** The scripts (in tests/bench/cgi/) and what runs them. */
const SCRIPTS = [
  { language: "python", file: "hello.py", ext: ".py", interpreter: "/usr/bin/python3" },
  { language: "php", file: "hello.php", ext: ".php", interpreter: "/usr/bin/php-cgi" },
];

/** The report's columns, in order. */
export const CGI_LANGUAGES: string[] = SCRIPTS.map((s) => s.language);

/** How the CGI bench runs. */
export interface CgiBenchOptions {
  /** A directory of the bench's own; the scripts are copied to `<tmp>/cgi`. */
  tmp: string;
  /** The prefix that pins a server (taskset), or []. */
  pin: string[];
  /** A CPU list for wrk, or null to run it unpinned. */
  cpu: string | null;
  durationSec: number;
  connections: number;
}

/**
 * Loads each script on each server; a language whose interpreter is missing is left out and a
 * server that is not installed is reported as skipped, saying so on stderr. Returns no rows when
 * no interpreter is installed.
 */
export async function runCgiBench(options: CgiBenchOptions): Promise<CgiRow[]> {
  const dir = join(options.tmp, "cgi");
  await Deno.mkdir(dir, { recursive: true });
  const scripts: typeof SCRIPTS = [];
  for (const script of SCRIPTS) {
    if (!(await isInstalled(script.interpreter))) {
      console.error(`bench: CGI ${script.language} skipped: "${script.interpreter}" not installed`);
      continue;
    }
    await Deno.copyFile(join(HERE, "cgi", script.file), join(dir, script.file));
    scripts.push(script);
  }
  const rows: CgiRow[] = [];
  if (scripts.length === 0) return rows;
  const interpreters = scripts.map((s) => ({ ext: s.ext, path: s.interpreter }));
  for (const contender of cgiContenders(interpreters)) {
    const row: CgiRow = { name: contender.name, runs: new Map(), note: null };
    rows.push(row);
    if (!(await available(contender))) {
      row.note = `skipped: "${contender.binary}" not installed`;
      console.error(`bench: CGI ${contender.name} ${row.note}`);
      continue;
    }
    console.error(`bench: CGI ${contender.name}…`);
    let started;
    try {
      started = await contender.start(dir, options.tmp, options.pin, scripts[0]!.file);
    } catch (e) {
      row.note = `failed to start: ${(e as Error).message}`;
      console.error(`bench: CGI ${contender.name} ${row.note}`);
      continue;
    }
    try {
      for (const script of scripts) {
        row.runs.set(
          script.language,
          await runWrk({
            url: `http://127.0.0.1:${started.port}/${script.file}`,
            connections: options.connections,
            durationSec: options.durationSec,
            cpu: options.cpu,
          }),
        );
      }
    } catch (e) {
      row.note = `failed: ${(e as Error).message}`;
      console.error(`bench: CGI ${contender.name} ${row.note}`);
      const log = (await started.log()).trim();
      if (log !== "") console.error(`bench: CGI ${contender.name} logged:\n${log}`);
    } finally {
      await killGroup(started.child);
    }
  }
  return rows;
}
