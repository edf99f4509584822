/** Splits nginx-style configuration text into words and the punctuation `{`, `}` and `;`. */
import { ConfigError } from "./config_error.ts";

/** A word (quoted or not, escapes already applied) or one of the characters `{`, `}`, `;`. */
export interface Token {
  kind: "word" | "{" | "}" | ";";
  value: string;
  /** 1-based line where the token starts. */
  line: number;
}

/** The tokens of a file and the line the file ends on (for "unexpected end of file"). */
export interface Tokens {
  tokens: Token[];
  endLine: number;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  "\\": "\\",
  n: "\n",
  r: "\r",
  t: "\t",
};

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
}

function isPunctuation(ch: string): ch is "{" | "}" | ";" {
  return ch === "{" || ch === "}" || ch === ";";
}

/**
 * Tokenizes configuration text. `#` starts a comment to the end of the line when it begins a
 * token; single- and double-quoted strings may hold whitespace, punctuation and the escapes
 * `\"`, `\'`, `\\`, `\n`, `\r`, `\t` (any other backslash is kept as written). In a bare word a
 * backslash also makes the next character ordinary (`a\;b` is one word, kept as written). A closing
 * quote must be followed by whitespace or punctuation. Throws ConfigError (nginx wording) on an unterminated
 * string or a character glued to a closing quote.
 */
export function tokenize(text: string, file: string): Tokens {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;

  while (i < n) {
    const ch = text[i]!;

    // Whitespace separates tokens.
    if (isSpace(ch)) {
      if (ch === "\n") line++;
      i++;
      continue;
    }

    // A comment runs to the end of the line (the newline itself is counted above).
    if (ch === "#") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }

    if (isPunctuation(ch)) {
      tokens.push({ kind: ch, value: ch, line });
      i++;
      continue;
    }

    // A quoted string: escapes apply, newlines are kept and counted.
    if (ch === '"' || ch === "'") {
      const start = line;
      let value = "";
      i++;
      for (;;) {
        if (i >= n) {
          throw new ConfigError(file, line, 'unexpected end of file, expecting ";" or "}"');
        }
        const c = text[i]!;
        if (c === ch) {
          i++;
          break;
        }
        if (c === "\\" && i + 1 < n) {
          const next = text[i + 1]!;
          const escaped = ESCAPES[next];
          value += escaped ?? c + next;
          if (next === "\n") line++;
          i += 2;
          continue;
        }
        if (c === "\n") line++;
        value += c;
        i++;
      }
      // Like nginx, "a"b is an error rather than two words.
      const after = text[i];
      if (after !== undefined && !isSpace(after) && !isPunctuation(after)) {
        throw new ConfigError(file, line, `unexpected "${after}"`);
      }
      tokens.push({ kind: "word", value, line: start });
      continue;
    }

    // A bare word runs to whitespace or punctuation; a backslash escapes the next character.
    let value = "";
    while (i < n) {
      const c = text[i]!;
      if (isSpace(c) || isPunctuation(c)) break;
      if (c === "\\" && i + 1 < n && !isSpace(text[i + 1]!)) {
        const next = text[i + 1]!;
        value += ESCAPES[next] ?? c + next;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    tokens.push({ kind: "word", value, line });
  }

  return { tokens, endLine: line };
}
