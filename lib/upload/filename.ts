/** Safe file names for uploads, and claiming a name that is not taken yet. */
import { join } from "node:path";
import { randomHex } from "./_random.ts";

/** The most UTF-8 bytes a sanitised name keeps (file systems allow 255; room is left for "-N"). */
export const MAX_NAME_BYTES = 200;

/** The longest extension (with its dot) kept when a name is cut. */
const MAX_EXTENSION_LENGTH = 16;

const encoder = new TextEncoder();

/**
 * Makes a client-sent file name safe to create directly in a directory, or returns null when
 * nothing usable is left:
 * - only the part after the last "/" or "\" (browsers on Windows send "C:\x\y.txt");
 * - control characters (NUL included) and bidirectional overrides are dropped;
 * - surrounding spaces and leading dots are stripped (".htaccess" → "htaccess"; ".." → null);
 * - cut to {@link MAX_NAME_BYTES} bytes of UTF-8, keeping the extension.
 */
export function sanitizeFilename(name: string): string | null {
  const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  // C0 and C1 controls, DEL, and the bidi controls that can disguise "txt.exe" as "exe.txt".
  // deno-lint-ignore no-control-regex
  const clean = base.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .replace(/^[\s.]+/, "")
    .trimEnd();
  if (clean === "") return null;
  return truncate(clean);
}

/** Cuts a name to MAX_NAME_BYTES of UTF-8 on a code point boundary, keeping a short extension. */
function truncate(name: string): string {
  if (encoder.encode(name).length <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION_LENGTH ? name.slice(dot) : "";
  let budget = MAX_NAME_BYTES - encoder.encode(extension).length;
  let stem = "";
  for (const ch of extension === "" ? name : name.slice(0, dot)) {
    const size = encoder.encode(ch).length;
    if (size > budget) break;
    stem += ch;
    budget -= size;
  }
  return stem + extension;
}

/** The n-th candidate for a name: "a.txt", then "a-1.txt", "a-2.txt"… ("a-1" without a dot). */
function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
}

/** How many numbered names are tried before random suffixes. */
const NUMBERED_TRIES = 100;
/** How many random suffixes are tried after that. */
const RANDOM_TRIES = 10;

/**
 * Claims the first free name among "a.txt", "a-1.txt"… "a-99.txt", then "a-<random>.txt", and
 * returns it. `claim(path)` must atomically create the file at `path` (`Deno.link`, or `Deno.open`
 * with `createNew`) and throw `Deno.errors.AlreadyExists` when the name is taken; other errors
 * propagate. The default claim creates an empty file.
 */
export async function uniqueName(
  dir: string,
  name: string,
  claim: (path: string) => Promise<void> = createEmpty,
): Promise<string> {
  for (let n = 0; n < NUMBERED_TRIES + RANDOM_TRIES; n++) {
    const candidate = n < NUMBERED_TRIES ? numberedName(name, n) : randomName(name);
    try {
      await claim(join(dir, candidate));
      return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new Deno.errors.AlreadyExists(`No free name for "${name}" in "${dir}"`);
}

async function createEmpty(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  file.close();
}

function randomName(name: string): string {
  const dot = name.lastIndexOf(".");
  const suffix = randomHex(4);
  return dot > 0 ? `${name.slice(0, dot)}-${suffix}${name.slice(dot)}` : `${name}-${suffix}`;
}
