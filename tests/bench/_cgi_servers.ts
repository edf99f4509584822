/**
 * The CGI bench's contenders: webserv and lighttpd (mod_cgi), each serving the scripts of one
 * directory with the same interpreters, pinned to a CPU, on a port it reports.
 */
import { join, resolve } from "node:path";
import { type Contender, freePort, spawnListening, spawnReady } from "./_servers.ts";

const REPO = resolve(import.meta.dirname ?? ".", "../..");

/** Files ending in `ext` (".py") are run by `path` ("/usr/bin/python3"). */
export interface CgiInterpreter {
  ext: string;
  path: string;
}

/** webserv serving `dir` with one location that runs each interpreter's scripts. */
export function webservCgiConfig(dir: string, interpreters: CgiInterpreter[]): string {
  return [
    "server {",
    "  listen 127.0.0.1:0;",
    `  root ${dir};`,
    "  access_log off;",
    "  location / {",
    ...interpreters.map((i) => `    cgi ${i.ext} ${i.path};`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** lighttpd in the foreground serving `dir` with mod_cgi, its error log under `prefix`. */
export function lighttpdCgiConfig(
  dir: string,
  prefix: string,
  port: number,
  interpreters: CgiInterpreter[],
): string {
  const assign = interpreters.map((i) => `"${i.ext}" => "${i.path}"`).join(", ");
  return [
    `server.document-root = "${dir}"`,
    `server.bind = "127.0.0.1"`,
    `server.port = ${port}`,
    `server.errorlog = "${join(prefix, "error.log")}"`,
    `server.modules += ("mod_cgi")`,
    `cgi.assign = (${assign})`,
    "",
  ].join("\n");
}

/** webserv, then lighttpd, running the scripts of `interpreters`. */
export function cgiContenders(interpreters: CgiInterpreter[]): Contender[] {
  return [
    {
      name: "webserv",
      binary: Deno.execPath(),
      async start(dir, tmp, pin, probe) {
        const conf = join(tmp, "webserv-cgi.conf");
        await Deno.writeTextFile(conf, webservCgiConfig(dir, interpreters));
        const cmd = [Deno.execPath(), "run", "-A", join(REPO, "main.ts"), conf];
        return await spawnListening("webserv", pin, cmd, probe);
      },
    },
    {
      name: "lighttpd",
      binary: "/usr/sbin/lighttpd",
      async start(dir, tmp, pin, probe) {
        const prefix = join(tmp, "lighttpd");
        await Deno.mkdir(prefix, { recursive: true });
        const port = freePort();
        const conf = join(prefix, "lighttpd.conf");
        await Deno.writeTextFile(conf, lighttpdCgiConfig(dir, prefix, port, interpreters));
        const argv = [...pin, "/usr/sbin/lighttpd", "-D", "-f", conf];
        return await spawnReady(argv, port, probe, join(prefix, "error.log"));
      },
    },
  ];
}
