/** Reading the request body so that its failures stay apart from storage failures. */
import type { BodyReader } from "../http/request.ts";

/**
 * An error thrown by the request body reader (HttpError 400/408/413, or the client going away),
 * wrapped so that callers can tell it from a failure of their own; the original is `cause`.
 */
export class BodyReadError extends Error {
  constructor(cause: unknown) {
    super("Reading the request body failed", { cause });
    this.name = "BodyReadError";
  }
}

/** `body.read()`, with its errors wrapped in BodyReadError. */
export async function readBody(body: BodyReader): Promise<Uint8Array | null> {
  try {
    return await body.read();
  } catch (error) {
    throw new BodyReadError(error);
  }
}

/** Removes a file this request created, ignoring any failure (the request is failing already). */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Already gone, or nothing more can be done.
  }
}
