/** Every value of a request header, in order. */
import type { RequestHead } from "../http/request.ts";

/** The values of all fields named `name` (lower-case). */
export function getHeaders(head: RequestHead, name: string): string[] {
  const values: string[] = [];
  for (const [n, v] of head.headers) if (n === name) values.push(v);
  return values;
}
