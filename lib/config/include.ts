/**
 * `include file|mask;` (nginx's ngx_conf_include): replaces each include in a parsed tree with the
 * directives of the files it names, recursively, before anything is evaluated. A relative path is
 * resolved against the main configuration file's directory, in included files too (nginx's conf
 * prefix); a mask (`*`, `?`, `[…]`) takes the matching files in sorted order and may match none; a
 * file named without a mask must exist. An include loop is an error (nginx 1.22 itself crashes).
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "./config_error.ts";
import { type ConfigNode, type ConfigTree, parseTree } from "./parser.ts";

/** Deeper than this, something is wrong even without a loop. */
const MAX_DEPTH = 50;

/** Reads every file an include names, at any depth, into the tree. */
export async function expandIncludes(tree: ConfigTree, mainFile: string): Promise<ConfigTree> {
  const base = dirname(resolve(mainFile));
  const expand = async (nodes: ConfigNode[], stack: string[]): Promise<ConfigNode[]> => {
    const out: ConfigNode[] = [];
    for (const node of nodes) {
      if (node.name !== "include") {
        if (node.children !== null) node.children = await expand(node.children, stack);
        out.push(node);
        continue;
      }
      const fail = (message: string) => new ConfigError(node.file, node.line, message);
      if (node.children !== null) throw fail('directive "include" is not terminated by ";"');
      if (node.args.length !== 1) throw fail('invalid number of arguments in "include" directive');
      const pattern = node.args[0]!;
      const path = isAbsolute(pattern) ? pattern : join(base, pattern);
      for (const file of await matches(path, fail)) {
        if (stack.includes(file)) {
          const chain = [...stack.slice(stack.indexOf(file)), file].map((f) => `"${f}"`);
          throw fail(`include loop: ${chain.join(" includes ")}`);
        }
        if (stack.length >= MAX_DEPTH) throw fail(`includes nested deeper than ${MAX_DEPTH} files`);
        const included = parseTree(await readIncluded(file, fail), file);
        out.push(...await expand(included.nodes, [...stack, file]));
      }
    }
    return out;
  };
  return { nodes: await expand(tree.nodes, [resolve(mainFile)]), endLine: tree.endLine };
}

/** The files a path or mask names, sorted; a plain path is itself (it must exist). */
async function matches(path: string, fail: (message: string) => Error): Promise<string[]> {
  if (!/[*?[]/.test(path)) return [path];
  let found = ["/"];
  for (const part of path.split("/").filter((p) => p !== "")) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      const re = globPart(part);
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (re.test(entry.name)) next.push(join(dir, entry.name));
        }
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
        throw fail(`glob() "${path}" failed (${(e as Error).message})`);
      }
    }
    found = next;
  }
  // glob(3) with no flags: the matches sorted, a path that names nothing left out.
  const existing: string[] = [];
  for (const file of found.sort()) {
    if (await Deno.lstat(file).then(() => true, () => false)) existing.push(file);
  }
  return existing;
}

/** One path segment of a mask as a regular expression (a leading dot is never matched by `*`). */
function globPart(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = part.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let set = part.slice(i + 1, close);
      if (set.startsWith("!")) set = "^" + set.slice(1);
      re += `[${set.replaceAll("\\", "\\\\")}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  const hidden = part.startsWith(".") ? "" : "(?!\\.)";
  return new RegExp(`^${hidden}${re}$`);
}

/** An included file's text; any failure is reported at the include, as nginx does. */
async function readIncluded(file: string, fail: (message: string) => Error): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : e instanceof Deno.errors.IsADirectory
      ? "Is a directory"
      : e instanceof Deno.errors.PermissionDenied
      ? "Permission denied"
      : (e as Error).message;
    throw fail(`open() "${file}" failed (${reason})`);
  }
}
