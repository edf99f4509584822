/**
 * The request phases, in order (nginx's phase engine, ngx_http_core_module.c): each phase is a
 * list of handlers, and each handler answers or declines. Adding a directive means adding a
 * handler to one phase, never a branch in the connection.
 */
import { cgiHandler } from "../handlers/cgi.ts";
import { deleteHandler } from "../handlers/delete.ts";
import { staticHandler } from "../handlers/static.ts";
import { uploadHandler } from "../handlers/upload.ts";
import type { Handler } from "./context.ts";
import { bodySizeLimit, knownMethod, methodAllowed } from "./request_checks.ts";
import { locationReturn, serverReturn } from "./return.ts";

export interface Phase {
  name: string;
  handlers: readonly Handler[];
}

export const PHASES: readonly Phase[] = [
  // The request as read: a method the server knows.
  { name: "post-read", handlers: [knownMethod] },
  // The server block's own directives, before any location applies.
  { name: "server-rewrite", handlers: [serverReturn] },
  // The location is chosen (by the router); its limits apply.
  { name: "find-config", handlers: [bodySizeLimit] },
  // The location's directives that answer or rewrite.
  { name: "rewrite", handlers: [locationReturn] },
  // Who may do what here.
  { name: "access", handlers: [methodAllowed] },
  // Exactly one content handler answers; the static handler never declines.
  { name: "content", handlers: [cgiHandler, uploadHandler, deleteHandler, staticHandler] },
];
