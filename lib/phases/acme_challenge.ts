/**
 * The post-read handler that answers the CA's HTTP-01 requests,
 * `GET /.well-known/acme-challenge/<token>`, with the key authorization an order under way
 * provisioned (lib/acme/http01.ts), on every listener and server, ahead of every rewrite, `return`
 * and location: the CA asks on port 80 for the name it validates, whatever the site does with
 * other URIs. Every other request is declined.
 */
import type { Response } from "../http/response.ts";
import type { Handler } from "./context.ts";

const PREFIX = "/.well-known/acme-challenge/";

/** Answers a challenge the CA asks for; declines every other request. */
export const acmeChallenge: Handler = (ctx) => {
  if (!ctx.path.startsWith(PREFIX)) return null;
  const method = ctx.head.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const answer = ctx.services.acme.answer(ctx.path.slice(PREFIX.length));
  if (answer === undefined) return null;
  const res: Response = {
    status: 200,
    headers: [["Content-Type", "application/octet-stream"]],
    body: new TextEncoder().encode(answer),
  };
  return res;
};
