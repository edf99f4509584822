/**
 * nginx for the differential tests, and how they compare answers: nginx started from a
 * configuration template on a port of 127.0.0.1 that nobody else can take in between, in a
 * temporary prefix of its own.
 *
 * The launcher (python3) binds 127.0.0.1:0, writes nginx.conf from the template with the port in
 * place of `@PORT@`, records the port (to a temporary name, then renamed: never read
 * half-written), and becomes nginx with the socket inherited through the `NGINX` variable.
 */
import { join } from "node:path";

export const NGINX = "/usr/sbin/nginx";
const PYTHON = "python3";

const LAUNCHER = `
import os, socket, sys
template, config, port_file = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(511)
port = s.getsockname()[1]
with open(template) as f:
    text = f.read().replace("@PORT@", str(port))
with open(config, "w") as f:
    f.write(text)
with open(port_file + ".tmp", "w") as f:
    f.write(str(port))
os.rename(port_file + ".tmp", port_file)
os.set_inheritable(s.fileno(), True)
os.execve(sys.argv[4], sys.argv[4:], {"NGINX": "%d;" % s.fileno()})
`;

async function runs(command: string): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args: ["-c", ""] }).output()).success;
  } catch {
    return false;
  }
}

/** Why the differential tests cannot run here, or null when they can. */
export const NGINX_MISSING: string | null =
  !(await Deno.stat(NGINX).then((i) => i.isFile, () => false))
    ? `"${NGINX}" is missing`
    : !(await runs(PYTHON))
    ? `"${PYTHON}", nginx's launcher, is missing`
    : null;

/** nginx running from its own temporary prefix, on a port of 127.0.0.1. */
export interface Nginx {
  port: number;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts nginx through the launcher as the leader of its own process group, its configuration
 * `template(prefix)` (with `@PORT@` for the port), and waits for its pid file: nginx writes it
 * once its configuration is loaded; until its worker accepts, connections wait in the backlog.
 */
export async function startNginx(
  name: string,
  template: (prefix: string) => string | Promise<string>,
): Promise<Nginx> {
  const prefix = await Deno.makeTempDir({ prefix: `webserv-${name}-nginx-` });
  const templateFile = join(prefix, "nginx.conf.in");
  await Deno.writeTextFile(templateFile, await template(prefix));
  const config = join(prefix, "nginx.conf");
  const portFile = join(prefix, "port");
  const pidFile = join(prefix, "nginx.pid");
  const errorLog = join(prefix, "error.log");
  const child = new Deno.Command(PYTHON, {
    // deno-fmt-ignore
    args: ["-c", LAUNCHER, templateFile, config, portFile,
      NGINX, "-p", prefix, "-c", config, "-e", errorLog],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const stop = async () => {
    // SIGTERM: the master stops its worker, waits for it, and exits; SIGKILL to the whole group
    // if it does not within 5 s.
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), 5000));
    if (await Promise.race([status, late]) === "late") {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await status;
    }
    clearTimeout(timer);
    await Deno.remove(prefix, { recursive: true });
  };
  const readLog = () => Deno.readTextFile(errorLog).catch(() => "");
  try {
    for (const deadline = Date.now() + 10_000;;) {
      if (exited) throw new Error("nginx exited");
      const pid = await Deno.readTextFile(pidFile).catch(() => "");
      if (pid.trim() !== "") {
        return { port: Number(await Deno.readTextFile(portFile)), errorLog: readLog, stop };
      }
      if (Date.now() > deadline) throw new Error("no pid file after 10 s");
      // nginx has no readiness signal but its pid file: poll it.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (e) {
    const log = await readLog();
    await stop();
    throw new Error(`nginx did not start (${(e as Error).message}): "${log.trim()}"`);
  }
}

/** One field that two servers answered differently. */
export interface Difference {
  field: string;
  ours: string;
  nginx: string;
}

/** The fields whose values differ between webserv's answer and nginx's ("(absent)" for none). */
export function differences(ours: Map<string, string>, nginx: Map<string, string>): Difference[] {
  const out: Difference[] = [];
  for (const field of new Set([...ours.keys(), ...nginx.keys()])) {
    const a = ours.get(field) ?? "(absent)";
    const b = nginx.get(field) ?? "(absent)";
    if (a !== b) out.push({ field, ours: a, nginx: b });
  }
  return out;
}
