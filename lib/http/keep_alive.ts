/** Whether a request asks for its connection to stay open. */
import type { RequestHead } from "./request.ts";

/** HTTP/1.1 stays open unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive". */
export function wantsKeepAlive(head: RequestHead): boolean {
  let close = false;
  let keep = false;
  for (const [name, value] of head.headers) {
    if (name !== "connection") continue;
    for (const token of value.toLowerCase().split(",")) {
      const t = token.trim();
      if (t === "close") close = true;
      else if (t === "keep-alive") keep = true;
    }
  }
  return !close && (head.minor >= 1 || keep);
}
