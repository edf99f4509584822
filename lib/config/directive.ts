/**
 * What an entry of the directive table is (nginx's `ngx_command_t`): a name, the contexts it may
 * appear in, how many arguments it takes, whether it may repeat, and how it is applied.
 */
import type { BlockDraft, LocationDraft, MainDraft, ServerDraft } from "./draft.ts";
import type { ConfigNode } from "./parser.ts";
import type { AcmeIssuerSettings, UpstreamSettings } from "./types.ts";

/**
 * Where a directive is written: the top level, `events { }`, `http { }`, `upstream { }`, a
 * `server { }` or a `location { }`. Without an `http` block the top level stands for it: what
 * nginx allows in `http` may stand there too.
 */
export type Context =
  | "main"
  | "events"
  | "http"
  | "upstream"
  | "acme_issuer"
  | "server"
  | "location";

/** The drafts a directive writes into; `server`/`location`/`upstream` are null outside those blocks. */
export interface Scope {
  context: Context;
  main: MainDraft;
  server: ServerDraft | null;
  location: LocationDraft | null;
  upstream: UpstreamSettings | null;
  issuer: AcmeIssuerSettings | null;
}

/** What an apply function knows besides its arguments. */
export interface DirectiveEnv {
  /** The directive's name, for messages. */
  name: string;
  /** The file (as messages name it) and line of the directive. */
  file: string;
  line: number;
  /** Absolute directory of the configuration file: relative paths resolve against it. */
  dir: string;
  /** A ConfigError at the directive's line, to throw: `throw env.error("...")`. */
  error(message: string): Error;
  /** Says once, at start-up and `-t`, that the directive is accepted and does nothing here. */
  notice(message: string): void;
  /**
   * Queues a check that needs I/O (run by verifyConfig); it returns a message or null. An error
   * stops the configuration from loading; a warning is only reported.
   */
  defer(run: () => Promise<string | null>, severity?: "error" | "warning"): void;
}

interface DirectiveBase {
  name: string;
  contexts: readonly Context[];
  /** Smallest and largest number of arguments (Infinity: no limit). */
  arity: readonly [min: number, max: number];
  /** May appear more than once in one block. */
  repeatable?: boolean;
}

/** `name args;` */
export interface SimpleDirective extends DirectiveBase {
  block?: false;
  apply(scope: Scope, args: string[], env: DirectiveEnv): void;
}

/** `name args { ... }`: `open` returns the scope its children are applied in. */
export interface BlockDirective extends DirectiveBase {
  block: true;
  open(scope: Scope, args: string[], env: DirectiveEnv): Scope;
}

/** `name args { … }` whose contents are not directives (`types { text/html html; }`). */
export interface RawBlockDirective extends DirectiveBase {
  block: "raw";
  read(scope: Scope, args: string[], contents: ConfigNode[], env: DirectiveEnv): void;
}

export type Directive = SimpleDirective | BlockDirective | RawBlockDirective;

/** Applies a directive's arguments to the scope it appears in. */
export type Apply = SimpleDirective["apply"];

/** The innermost block of a scope: the location, else the server, else the main draft. */
export function innermost(scope: Scope): BlockDraft {
  return scope.location ?? scope.server ?? scope.main;
}

/** The server draft of a scope (the table only lets server directives appear inside one). */
export function serverOf(scope: Scope): ServerDraft {
  if (scope.server === null) throw new Error(`No server block in context "${scope.context}"`);
  return scope.server;
}

/** The upstream block of a scope (the table only lets upstream directives appear inside one). */
export function upstreamOf(scope: Scope): UpstreamSettings {
  if (scope.upstream === null) throw new Error(`No upstream block in context "${scope.context}"`);
  return scope.upstream;
}

/** The acme_issuer block of a scope (the table only lets its directives appear inside one). */
export function issuerOf(scope: Scope): AcmeIssuerSettings {
  if (scope.issuer === null) throw new Error(`No acme_issuer block in context "${scope.context}"`);
  return scope.issuer;
}

/** The location draft of a scope (the table only lets location directives appear inside one). */
export function locationOf(scope: Scope): LocationDraft {
  if (scope.location === null) throw new Error(`No location block in context "${scope.context}"`);
  return scope.location;
}
