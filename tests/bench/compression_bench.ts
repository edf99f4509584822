/**
 * `deno bench --allow-all tests/bench/compression_bench.ts`: compressBytes() on 10 KiB of
 * stylesheet-like text, at the levels a server would pick: gzip 1 (nginx's default
 * `gzip_comp_level`) and 6 (zlib's default), brotli 4, 6 (ngx_brotli's default
 * `brotli_comp_level`) and 11 (the maximum, for precompressing). Each name carries the output
 * size; gzip level 1 is the baseline.
 */
import { type Coding, compressBytes } from "../../lib/compression/compress.ts";

/** Text like a real stylesheet: repeated selectors and properties, varied names and values. */
function cssText(size: number): Uint8Array {
  let seed = 1;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = (words: string[]) => words[next(words.length)]!;
  const properties = [
    "color",
    "margin",
    "padding",
    "display",
    "font-size",
    "line-height",
    "border",
    "background-color",
    "width",
    "height",
    "transform",
    "box-shadow",
  ];
  const syllables = ["ba", "ko", "ri", "mu", "te", "lo", "sa", "ne", "vi", "da", "zu", "fe"];
  const name = () => {
    let word = "";
    for (let i = 0, n = 2 + next(3); i < n; i++) word += pick(syllables);
    return word;
  };
  // A site uses a few colours and a few hundred class names, over and over.
  const palette = Array.from({ length: 16 }, () => "#" + next(0x1000000).toString(16));
  const colour = () => pick(palette);
  const names = Array.from({ length: 300 }, name);
  const value = () => {
    switch (next(6)) {
      case 0:
        return colour();
      case 1:
        return `${next(64)}px ${next(64)}px`;
      case 2:
        return `${(next(300) / 100).toFixed(2)}rem`;
      case 3:
        return `1px solid ${colour()}`;
      case 4:
        return `rotate(${next(360)}deg)`;
      default:
        return pick(["block", "flex", "none", "auto", "100%", "inherit"]);
    }
  };
  let text = "";
  while (text.length < size) {
    text += `.${pick(names)} .${pick(names)}${next(4) ? "" : ":hover"} {\n`;
    for (let i = 0, n = 2 + next(5); i < n; i++) text += `  ${pick(properties)}: ${value()};\n`;
    text += "}\n\n";
  }
  return new TextEncoder().encode(text.slice(0, size));
}

const CSS = cssText(10 * 1024);

const CASES: [Coding, number][] = [["gzip", 1], ["gzip", 6], ["br", 4], ["br", 6], ["br", 11]];

for (const [encoding, level] of CASES) {
  const size = (await compressBytes(CSS, encoding, level)).length;
  const ratio = (size / CSS.length * 100).toFixed(1);
  const what = encoding === "gzip" ? "gzip level" : "brotli quality";
  Deno.bench({
    name: `${what} ${level}: ${CSS.length} → ${size} bytes (${ratio}%)`,
    group: "10 KiB of CSS",
    baseline: encoding === "gzip" && level === 1,
    fn: async () => {
      await compressBytes(CSS, encoding, level);
    },
  });
}
