/** An error that maps to an HTTP status; thrown by parsers and body readers, answered by the connection. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "HttpError";
  }
}
