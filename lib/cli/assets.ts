/**
 * Where the program's bundled files are (config/, public/, cgi/ beside main.ts), whichever way it
 * runs: from a checkout (`deno task start`, `deno run main.ts`), installed with `deno install -g`
 * from a checkout (the module stays where it is), or as the compiled executable (`deno compile
 * --include` embeds them in a read-only file system under `<tmp>/deno-compile-<name>/`).
 */
import { join } from "node:path";

/** What locating the assets depends on (the real values come from programFacts()). */
export interface ProgramFacts {
  /**
   * The directory of main.ts: a path from source, `deno install` and the executable; undefined
   * when the program was loaded from a URL (`deno install -g https://…/main.ts`).
   */
  programDir: string | undefined;
  /** `Deno.build.standalone`: this is a compiled executable. */
  standalone: boolean;
  /** The working directory, where a program from a URL looks for its files. */
  cwd: string;
}

export interface Assets {
  /** The directory that holds config/, public/ and cgi/. */
  root: string;
  /**
   * The files are embedded in the executable: they can be read, but not written, and not run by
   * another program (an interpreter opens the script by its path, which only Deno can see).
   */
  embedded: boolean;
}

/** The facts of this process: main.ts is two levels above this module, in every form. */
export function programFacts(): ProgramFacts {
  const here = import.meta.dirname;
  return {
    programDir: here === undefined ? undefined : join(here, "..", ".."),
    standalone: Deno.build.standalone,
    cwd: Deno.cwd(),
  };
}

/** Where the assets are: beside main.ts, or in the working directory for a program from a URL. */
export function locateAssets(facts: ProgramFacts): Assets {
  if (facts.programDir === undefined) return { root: facts.cwd, embedded: false };
  return { root: facts.programDir, embedded: facts.standalone };
}

/** The configuration served when none is named: config/default.conf among the assets. */
export function defaultConfigFile(assets: Assets): string {
  return join(assets.root, "config", "default.conf");
}
