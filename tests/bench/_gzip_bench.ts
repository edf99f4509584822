/**
 * The compression part of `deno task bench`: a 10 KiB stylesheet (generated, like a real site's
 * CSS: custom properties, components, states, media queries, comments) served by webserv with
 * `gzip on; brotli on;` and by nginx with `gzip on;` (Debian's nginx has no brotli module), each
 * pinned to the servers' CPU. Both at the documented defaults, written out: `gzip_comp_level 1`
 * (nginx) and `brotli_comp_level 6` (ngx_brotli). wrk sends `Accept-Encoding: gzip, br`, so
 * webserv answers with brotli and nginx with gzip; a second webserv run sends
 * `Accept-Encoding: gzip` for a like-for-like gzip figure.
 *
 * Each run gets a second of load first, not reported. Each server is probed first: the answer's `Content-Encoding` is reported in its row, and a
 * compressed body must decompress to the file. A webserv that does not compress yet (the filter
 * has not landed) still gets its row, marked "identity"; a webserv whose config rejects the
 * brotli directives is started again without them, and the row says so.
 */
import { join } from "node:path";
import zlib from "node:zlib";
import { killGroup, spawnGroup } from "./_child.ts";
import { freePort, type Started } from "./_servers.ts";
import {
  nginxConfig,
  rawGet,
  type RunRow,
  startNginx,
  startWebserv,
  WARM_UP_SEC,
} from "./_proxy_bench.ts";
import { parseWrkOutput, type WrkResult } from "./_wrk.ts";

/** The stylesheet's name and size. */
export const CSS_FILE = "site.css";
export const CSS_SIZE = 10 * 1024;

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested in _gzip_bench_test.ts)

/**
 * `size` bytes of CSS as a site's stylesheet looks: a `:root` block of custom properties, then
 * component rules (BEM-style class names, element and attribute selectors, :hover/:focus states)
 * with realistic properties and values, `@media` blocks and comments between sections. The
 * same `seed` gives the same text; the last rule is followed by a comment padding it to `size`.
 */
export function stylesheet(size: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const next = (n: number) => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
  const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
  const components = [
    "btn",
    "card",
    "navbar",
    "nav-link",
    "dropdown",
    "modal",
    "form-control",
    "input-group",
    "alert",
    "badge",
    "breadcrumb",
    "pagination",
    "table",
    "tooltip",
    "list-group",
    "hero",
    "footer",
    "sidebar",
    "tabs",
    "avatar",
  ];
  const elements = ["header", "body", "title", "icon", "item", "label", "footer", "content"];
  const modifiers = ["primary", "secondary", "large", "small", "active", "disabled", "outline"];
  const states = [":hover", ":focus", ":focus-visible", ":active", "::before", "::after"];
  const tags = ["a", "p", "h2", "h3", "ul", "li", "img", "span", "svg", "button", "input"];
  const tokens = [
    "--color-primary",
    "--color-secondary",
    "--color-text",
    "--color-muted",
    "--color-border",
    "--color-surface",
    "--radius",
    "--space-1",
    "--space-2",
    "--space-3",
    "--font-body",
    "--shadow",
  ];
  const hex = () => `#${next(0x1000000).toString(16).padStart(6, "0")}`;
  const px = (max: number) => `${next(max)}px`;
  const rem = () => `${(next(40) / 8).toFixed(3).replace(/\.?0+$/, "")}rem`;
  const space = () => pick([`var(${pick(tokens.slice(7, 10))})`, rem(), px(32), "0"]);
  const colour = () =>
    pick([
      `var(${pick(tokens.slice(0, 6))})`,
      hex(),
      `rgba(${next(256)}, ${next(256)}, ${next(256)}, ${(next(10) / 10).toFixed(1)})`,
      "transparent",
      "currentColor",
    ]);
  const declarations: (() => string)[] = [
    () => `display: ${pick(["block", "flex", "inline-flex", "grid", "none", "inline-block"])}`,
    () => `color: ${colour()}`,
    () => `background-color: ${colour()}`,
    () => `margin: ${space()} ${space()}`,
    () => `padding: ${space()} ${space()}`,
    () => `border: 1px solid ${colour()}`,
    () => `border-radius: ${pick(["var(--radius)", px(12), "50%", "9999px"])}`,
    () => `font-size: ${pick([rem(), px(28), "inherit", "0.875em"])}`,
    () => `font-weight: ${pick(["400", "500", "600", "700", "bold", "normal"])}`,
    () => `line-height: ${pick(["1", "1.25", "1.5", "1.75", "normal"])}`,
    () => `align-items: ${pick(["center", "flex-start", "flex-end", "stretch", "baseline"])}`,
    () => `justify-content: ${pick(["center", "space-between", "flex-end", "flex-start"])}`,
    () => `gap: ${space()}`,
    () => `width: ${pick(["100%", "auto", px(480), `calc(100% - ${px(64)})`, "max-content"])}`,
    () => `max-width: ${pick([px(1280), "100%", "60ch", "none"])}`,
    () => `position: ${pick(["relative", "absolute", "sticky", "fixed"])}`,
    () => `top: ${pick(["0", px(64), "50%", "auto"])}`,
    () => `z-index: ${pick(["1", "10", "100", "1000", "1050"])}`,
    () => `box-shadow: 0 ${px(8)} ${px(24)} ${colour()}`,
    () =>
      `transition: ${pick(["color", "background-color", "opacity", "transform"])} ` +
      `${pick(["0.15s", "0.2s", "0.3s", "150ms"])} ${pick(["ease-in-out", "ease", "linear"])}`,
    () => `transform: ${pick([`translateY(${px(8)})`, `rotate(${next(360)}deg)`, "none"])}`,
    () => `opacity: ${(next(11) / 10).toFixed(1)}`,
    () => `cursor: ${pick(["pointer", "default", "not-allowed"])}`,
    () => `text-decoration: ${pick(["none", "underline"])}`,
    () => `overflow: ${pick(["hidden", "auto", "visible"])}`,
    () => `white-space: ${pick(["nowrap", "normal", "pre-wrap"])}`,
  ];
  const selector = () => {
    const c = pick(components);
    switch (next(6)) {
      case 0:
        return `.${c}`;
      case 1:
        return `.${c}__${pick(elements)}`;
      case 2:
        return `.${c}--${pick(modifiers)}`;
      case 3:
        return `.${c} > ${pick(tags)}`;
      case 4:
        return `.${c}${pick(states)}, .${c}--${pick(modifiers)}${pick(states)}`;
      default:
        return `.${c} ${pick(tags)}[${pick(['type="text"', "disabled", 'aria-expanded="true"'])}]`;
    }
  };
  const rule = (indent: string) => {
    const lines = [`${indent}${selector()} {`];
    // Each property once per rule.
    const left = [...declarations];
    for (let i = 0, n = 2 + next(6); i < n; i++) {
      lines.push(`${indent}  ${left.splice(next(left.length), 1)[0]!()};`);
    }
    return `${lines.join("\n")}\n${indent}}\n`;
  };
  const tokenValue = (token: string) =>
    token.startsWith("--color")
      ? hex()
      : token === "--font-body"
      ? `"Inter", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`
      : token === "--shadow"
      ? `0 1px 3px rgba(0, 0, 0, 0.${next(9) + 1}), 0 1px 2px rgba(0, 0, 0, 0.06)`
      : rem();
  let text = [
    "/*! site.css v3.2.1 | generated for webserv's bench */",
    `:root {\n${tokens.map((t) => `  ${t}: ${tokenValue(t)};`).join("\n")}\n}`,
    "*, *::before, *::after {\n  box-sizing: border-box;\n}\n",
  ].join("\n");
  const closing = "/* end of site.css */";
  // Rules until one does not fit, then a few more tries at smaller ones to fill the end.
  for (let misses = 0; misses < 50;) {
    let piece: string;
    const kind = next(10);
    if (kind === 0) {
      piece = `/* ${pick(components)} ${pick(["component", "layout", "utilities", "states"])} */\n`;
    } else if (kind === 1) {
      const width = pick(["576px", "768px", "992px", "1200px"]);
      piece = `@media (min-width: ${width}) {\n${rule("  ")}${rule("  ")}}\n`;
    } else {
      piece = rule("");
    }
    if (text.length + 1 + piece.length + closing.length + 2 > size) misses++;
    else text += `\n${piece}`;
  }
  // The closing comment, widened with spaces to make the size exact.
  const room = size - text.length - closing.length - 2;
  return `${text}\n${closing.slice(0, -2)}${" ".repeat(Math.max(0, room))}*/\n`.slice(0, size);
}

/** wrk's arguments for one run with extra request fields. */
export function wrkArgs(
  url: string,
  connections: number,
  durationSec: number,
  headers: Record<string, string>,
): string[] {
  return [
    "-t1",
    `-c${connections}`,
    `-d${durationSec}s`,
    "--latency",
    "--timeout",
    "10s",
    ...Object.entries(headers).flatMap(([n, v]) => ["-H", `${n}: ${v}`]),
    url,
  ];
}

/**
 * What a probe's answer says about compression: its Content-Encoding ("identity" when none),
 * and an error when the body does not decode to `original` or the coding is unknown.
 */
export function checkEncoding(
  res: { status: number; headers: Map<string, string>; body: Uint8Array },
  original: Uint8Array,
): { encoding: string; error: string | null; bytes: number } {
  const encoding = res.headers.get("content-encoding") ?? "identity";
  const bytes = res.body.length;
  if (res.status !== 200) return { encoding, error: `status ${res.status}`, bytes };
  let decoded: Uint8Array;
  try {
    if (encoding === "gzip") decoded = zlib.gunzipSync(res.body);
    else if (encoding === "br") decoded = zlib.brotliDecompressSync(res.body);
    else if (encoding === "identity") decoded = res.body;
    else return { encoding, error: `unexpected Content-Encoding "${encoding}"`, bytes };
  } catch (e) {
    return { encoding, error: `the ${encoding} body does not decode: ${e}`, bytes };
  }
  const same = decoded.length === original.length && decoded.every((b, i) => b === original[i]);
  return { encoding, error: same ? null : `the ${encoding} body decodes to other bytes`, bytes };
}

// ---------------------------------------------------------------------------------------------
// The run

/** Runs wrk with extra request fields in its own process group and parses its report. */
export async function runWrkWithHeaders(
  url: string,
  connections: number,
  durationSec: number,
  headers: Record<string, string>,
  cpu: string | null,
): Promise<WrkResult> {
  const args = wrkArgs(url, connections, durationSec, headers);
  const child = cpu === null
    ? spawnGroup("wrk", args, { stdout: "piped", stderr: "piped" })
    : spawnGroup("taskset", ["-c", cpu, "wrk", ...args], { stdout: "piped", stderr: "piped" });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`wrk exited with code "${out.code}": "${err || text.trim()}"`);
  }
  return parseWrkOutput(text);
}

/** How the compression bench runs. */
export interface GzipBenchOptions {
  tmp: string;
  /** The prefix that pins a server (taskset), or []. */
  pin: string[];
  cpu: string | null;
  durationSec: number;
  connections: number;
}

/** What the compression bench found. */
export interface GzipBenchResult {
  rows: RunRow[];
  /** Notes for under the table: what each probe answered, a config that was cut back. */
  notes: string[];
  /** The stylesheet's size compressed by node:zlib at the levels the servers use. */
  sizes: { gzip1: number; br6: number };
}

const WEBSERV_GZIP = ["gzip on;", "gzip_types text/css;", "gzip_comp_level 1;"];
const WEBSERV_BROTLI = ["brotli on;", "brotli_types text/css;", "brotli_comp_level 6;"];

function webservConfig(www: string, brotli: boolean): string {
  return [
    "server {",
    "  listen 127.0.0.1:0;",
    `  root ${www};`,
    "  access_log off;",
    ...[...WEBSERV_GZIP, ...(brotli ? WEBSERV_BROTLI : [])].map((l) => `  ${l}`),
    "}",
    "",
  ].join("\n");
}

/** The runs: which server, with which Accept-Encoding. */
interface GzipRun {
  name: string;
  server: "webserv" | "nginx";
  acceptEncoding: string;
}

const RUNS: GzipRun[] = [
  { name: "webserv (gzip, br)", server: "webserv", acceptEncoding: "gzip, br" },
  { name: "webserv (gzip)", server: "webserv", acceptEncoding: "gzip" },
  { name: "nginx (gzip, br)", server: "nginx", acceptEncoding: "gzip, br" },
];

/** The row names, for the ratios. */
export const GZIP_ROWS = RUNS.map((r) => r.name);

/**
 * Writes the stylesheet under `<tmp>/css`, then starts webserv (both runs on one process) and
 * nginx in turn: probe, wrk, stop.
 */
export async function runGzipBench(options: GzipBenchOptions): Promise<GzipBenchResult> {
  const www = join(options.tmp, "css");
  await Deno.mkdir(www, { recursive: true });
  const css = new TextEncoder().encode(stylesheet(CSS_SIZE));
  await Deno.writeFile(join(www, CSS_FILE), css);
  const result: GzipBenchResult = {
    rows: [],
    notes: [],
    sizes: {
      gzip1: zlib.gzipSync(css, { level: 1 }).length,
      br6: zlib.brotliCompressSync(css, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 6,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 19,
        },
      }).length,
    },
  };
  const starters: Record<GzipRun["server"], () => Promise<Started>> = {
    webserv: async () => {
      const file = join(options.tmp, "webserv-gzip.conf");
      try {
        return await startWebserv(file, webservConfig(www, true), options.pin, CSS_FILE);
      } catch (e) {
        const message = (e as Error).message;
        if (!/unknown directive "brotli/.test(message)) throw e;
        result.notes.push(
          'webserv rejected "brotli on;" (unknown directive): started without the brotli lines',
        );
        return await startWebserv(file, webservConfig(www, false), options.pin, CSS_FILE);
      }
    },
    nginx: () => {
      const prefix = join(options.tmp, "nginx-gzip");
      const port = freePort();
      const config = nginxConfig({
        prefix,
        port,
        http: ["sendfile on;", "tcp_nopush on;", ...WEBSERV_GZIP],
        server: [`root ${www};`],
      });
      return startNginx(prefix, port, config, options.pin, CSS_FILE);
    },
  };
  for (const server of ["webserv", "nginx"] as const) {
    const runs = RUNS.filter((r) => r.server === server);
    const rows = runs.map((r): RunRow => ({ name: r.name, run: null, note: null }));
    result.rows.push(...rows);
    console.error(`bench: compression ${server}…`);
    let started: Started;
    try {
      started = await starters[server]();
    } catch (e) {
      for (const row of rows) row.note = `failed to start: ${(e as Error).message}`;
      console.error(`bench: compression ${server} failed to start: ${(e as Error).message}`);
      continue;
    }
    try {
      for (const [i, run] of runs.entries()) {
        const row = rows[i]!;
        const headers = { "Accept-Encoding": run.acceptEncoding };
        const probe = checkEncoding(await rawGet(started.port, `/${CSS_FILE}`, headers), css);
        row.detail = probe.encoding;
        result.notes.push(
          `${run.name}: Content-Encoding ${probe.encoding}, ${probe.bytes} bytes on the wire` +
            (probe.encoding === "identity" ? " (not compressed)" : ""),
        );
        if (probe.error !== null) {
          row.note = `failed: probe: ${probe.error}`;
          console.error(`bench: compression ${run.name} ${row.note}`);
          continue;
        }
        try {
          const url = `http://127.0.0.1:${started.port}/${CSS_FILE}`;
          const { connections, cpu } = options;
          await runWrkWithHeaders(url, connections, WARM_UP_SEC, headers, cpu);
          row.run = await runWrkWithHeaders(url, connections, options.durationSec, headers, cpu);
        } catch (e) {
          row.note = `failed: ${(e as Error).message}`;
          console.error(`bench: compression ${run.name} ${row.note}`);
        }
      }
    } catch (e) {
      for (const row of rows) row.note ??= `failed: ${(e as Error).message}`;
      console.error(`bench: compression ${server} failed: ${(e as Error).message}`);
      const log = (await started.log()).trim();
      if (log !== "") console.error(`bench: compression ${server} logged:\n${log}`);
    } finally {
      await killGroup(started.child);
    }
  }
  return result;
}
