/** Builds the directive tree of a configuration file from its tokens (syntax only, no meaning). */
import { ConfigError } from "./config_error.ts";
import { type Token, tokenize } from "./lexer.ts";

/** One directive: `name args;` (children null) or `name args { children }`. */
export interface ConfigNode {
  name: string;
  args: string[];
  /** The file the directive is written in (as error messages name it) and its line. */
  file: string;
  line: number;
  children: ConfigNode[] | null;
}

/** The top-level directives of a file and the line the file ends on. */
export interface ConfigTree {
  nodes: ConfigNode[];
  endLine: number;
}

/**
 * Parses configuration text into a tree. Throws ConfigError with nginx's wording:
 * `unexpected "}"`, `unexpected "{"`, `unexpected ";"`,
 * `unexpected end of file, expecting ";" or "}"` and `unexpected end of file, expecting "}"`.
 */
export function parseTree(text: string, file: string): ConfigTree {
  const { tokens, endLine } = tokenize(text, file);
  let pos = 0;

  // Reads directives until the matching "}" (nested) or the end of the file (top level).
  const parseBlock = (nested: boolean): ConfigNode[] => {
    const nodes: ConfigNode[] = [];
    let words: Token[] = [];
    while (pos < tokens.length) {
      const token = tokens[pos++]!;
      switch (token.kind) {
        case "word":
          words.push(token);
          break;
        case ";":
        case "{": {
          const [name, ...args] = words;
          if (name === undefined) {
            throw new ConfigError(file, token.line, `unexpected "${token.kind}"`);
          }
          const node: ConfigNode = {
            name: name.value,
            args: args.map((w) => w.value),
            file,
            line: name.line,
            children: null,
          };
          words = [];
          if (token.kind === "{") node.children = parseBlock(true);
          nodes.push(node);
          break;
        }
        case "}":
          if (words.length > 0 || !nested) {
            throw new ConfigError(file, token.line, 'unexpected "}"');
          }
          return nodes;
      }
    }
    if (words.length > 0) {
      throw new ConfigError(file, endLine, 'unexpected end of file, expecting ";" or "}"');
    }
    if (nested) throw new ConfigError(file, endLine, 'unexpected end of file, expecting "}"');
    return nodes;
  };

  return { nodes: parseBlock(false), endLine };
}
