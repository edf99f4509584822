/**
 * Applies a directive tree to drafts through the directive table, with nginx's generic checks:
 * known name, allowed context, block or not, number of arguments, repeated in one block.
 */
import { dirname } from "node:path";
import { ConfigError } from "./config_error.ts";
import type { DirectiveEnv, Scope } from "./directive.ts";
import { COMBINED } from "../log/log_format.ts";
import { DIRECTIVES } from "./directives.ts";
import type { MainDraft } from "./draft.ts";
import { NGINX_DIRECTIVES } from "./nginx_directives.ts";
import type { ConfigNode, ConfigTree } from "./parser.ts";

/**
 * Evaluates a parsed file (its includes already read). `file` is the main file's name as error
 * messages give it, `absFile` its absolute path (its directory resolves relative paths).
 * Throws ConfigError.
 */
export function evaluate(tree: ConfigTree, file: string, absFile: string): MainDraft {
  const main: MainDraft = {
    file: absFile,
    settings: {},
    limits: {},
    requestZones: new Map(),
    connectionZones: new Map(),
    upstreams: new Map(),
    acmeIssuers: new Map(),
    logFormats: new Map([["combined", COMBINED]]),
    servers: [],
    checks: [],
    notices: [],
  };
  const dir = dirname(absFile);
  const noticed = new Set<string>();

  const walk = (nodes: ConfigNode[], scope: Scope): void => {
    const seen = new Set<string>();
    for (const node of nodes) {
      const { name, args, line } = node;
      const at = { file: node.file, line };
      const fail = (message: string) => new ConfigError(at.file, line, message);
      // One name may mean different directives in different blocks (`server` in `http` and in
      // `upstream`): the one allowed here, else the first, to say where it is allowed.
      const meanings = DIRECTIVES.get(name);
      const directive = meanings?.find((d) => d.contexts.includes(scope.context)) ?? meanings?.[0];

      if (directive === undefined) {
        if (name === "include") throw fail('"include" is read by loadConfig(), not parseConfig()');
        if (NGINX_DIRECTIVES.has(name)) {
          throw fail(`"${name}" directive is not supported by webserv`);
        }
        throw fail(`unknown directive "${name}"`);
      }
      if (!directive.contexts.includes(scope.context)) {
        throw fail(`"${name}" directive is not allowed here`);
      }
      if (directive.block && node.children === null) {
        throw fail(`directive "${name}" has no opening "{"`);
      }
      if (!directive.block && node.children !== null) {
        throw fail(`directive "${name}" is not terminated by ";"`);
      }
      const [min, max] = directive.arity;
      if (args.length < min || args.length > max) {
        throw fail(`invalid number of arguments in "${name}" directive`);
      }
      if (!directive.repeatable && seen.has(name)) throw fail(`"${name}" directive is duplicate`);
      seen.add(name);

      const env: DirectiveEnv = {
        name,
        file: at.file,
        line,
        dir,
        error: fail,
        notice: (message) => {
          if (noticed.has(name)) return;
          noticed.add(name);
          main.notices.push(`${at.file}:${line}: ${message}`);
        },
        defer: (run, severity = "error") => main.checks.push({ pos: at, severity, run }),
      };
      if (directive.block === "raw") directive.read(scope, args, node.children ?? [], env);
      else if (directive.block) walk(node.children ?? [], directive.open(scope, args, env));
      else directive.apply(scope, args, env);
    }
  };

  walk(tree.nodes, {
    context: "main",
    main,
    server: null,
    location: null,
    upstream: null,
    issuer: null,
  });
  if (main.servers.length === 0) throw new ConfigError(file, tree.endLine, 'no "server" block');
  return main;
}
