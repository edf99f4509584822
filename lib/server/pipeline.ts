/**
 * The request pipeline (nginx's module list, ngx_modules.c): which handler stands in which phase,
 * in order, and which filters see every response, in order. The phase engine runs it; each handler
 * answers or declines, each filter returns the response changed or as it was. Adding a directive
 * means adding a handler to one phase or a filter here, never a branch in the connection.
 */
import { accessControl } from "../access/access_phase.ts";
import { limitConn, limitReq } from "../access/limits_phase.ts";
import { compressionFilter } from "../filters/compression.ts";
import { headersFilter } from "../filters/headers.ts";
import { notModifiedFilter } from "../filters/not_modified.ts";
import { rangeFilter } from "../filters/range.ts";
import { cgiHandler } from "../handlers/cgi.ts";
import { deleteHandler } from "../handlers/delete.ts";
import { staticHandler } from "../handlers/static.ts";
import { uploadHandler } from "../handlers/upload.ts";
import type { Pipeline } from "../phases/context.ts";
import { proxyHandler } from "../proxy/proxy_handler.ts";
import {
  bodySizeLimit,
  knownMethod,
  methodAllowed,
  slashRedirect,
} from "../phases/request_checks.ts";
import { acmeChallenge } from "../phases/acme_challenge.ts";
import { locationRewrite, serverRewrite } from "../phases/rewrite.ts";
import { tryFiles } from "../phases/try_files.ts";

export const PIPELINE: Pipeline = {
  phases: [
    // The request as read: an ACME challenge is answered before anything else.
    { name: "post-read", handlers: [acmeChallenge] },
    // The server block's rewrite and return, before any location applies.
    { name: "server-rewrite", handlers: [serverRewrite] },
    // The location is chosen (by the router): a method it knows, its slash, its limits.
    { name: "find-config", handlers: [knownMethod, slashRedirect, bodySizeLimit] },
    // The location's rewrite and return.
    { name: "rewrite", handlers: [locationRewrite] },
    // Limits per client before anything else is checked: the rate first, so that a request
    // waiting out its delay holds no connection slot yet (nginx's order).
    { name: "preaccess", handlers: [limitReq, limitConn] },
    // Who may do what here.
    { name: "access", handlers: [methodAllowed, accessControl] },
    // What file the content handler serves.
    { name: "precontent", handlers: [tryFiles] },
    // Exactly one content handler answers; the static handler never declines.
    {
      name: "content",
      handlers: [proxyHandler, cgiHandler, uploadHandler, deleteHandler, staticHandler],
    },
  ],
  filters: [
    // 304 and 412 from the validators.
    notModifiedFilter,
    // add_header and expires.
    headersFilter,
    // 206 and 416 from Range.
    rangeFilter,
    // gzip and brotli.
    compressionFilter,
  ],
};
