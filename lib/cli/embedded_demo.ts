/**
 * The compiled executable's demo, written out at start: `deno compile --include` embeds config/,
 * public/ and cgi/ in a read-only file system that only the executable itself can see. Embedded
 * files cannot be executed (php-cgi or python3 would be handed a path that does not exist on
 * disk), and the demo's upload folder cannot be written. So when the executable serves its own
 * default configuration, the three folders are copied to a private temporary directory (mode
 * 0700), served from there, and removed at exit. (`deno compile --self-extracting` would write
 * every embedded file, node_modules included, to a cache directory that outlives the process,
 * for every start of every command; the demo is small, and only `webserv` without a config needs
 * it.)
 */
import { join } from "node:path";

/** The folders the demo is made of, as `deno task compile` includes them. */
export const DEMO_FOLDERS = ["config", "public", "cgi"] as const;

export interface ExtractedDemo {
  /** The private directory the demo was written to. */
  dir: string;
  /** Its config/default.conf. */
  configFile: string;
  /** Removes the directory; never throws. */
  remove(): Promise<void>;
}

/** Copies the demo folders under `root` into a new private temporary directory. */
export async function extractDemo(root: string): Promise<ExtractedDemo> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-demo-" });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    await Deno.chmod(dir, 0o700);
    for (const folder of DEMO_FOLDERS) await copyTree(join(root, folder), join(dir, folder));
  } catch (e) {
    await remove();
    throw e;
  }
  return { dir, configFile: join(dir, "config", "default.conf"), remove };
}

/** Copies a directory tree (files and folders; links are not followed, and not copied). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory) await copyTree(source, target);
    else if (entry.isFile) await Deno.writeFile(target, await Deno.readFile(source));
  }
}

/**
 * Whether this command line serves the embedded demo: an executable with embedded assets, run
 * without a config file and without an option that serves nothing (`-t`, `-h`, `-V`, `-s`).
 */
export function servesEmbeddedDemo(argv: readonly string[], embedded: boolean): boolean {
  if (!embedded) return false;
  return argv.every((arg) =>
    arg.startsWith("-") && !/^-(t|-test|h|-help|V|-version|s.*)$/.test(arg)
  );
}
