/** Limits the connection driver enforces (nginx keeps them there too, not in the parser). */
export interface ConnectionLimits {
  /** Largest request line; a longer one gets 414 (nginx: large_client_header_buffers 8k). */
  maxRequestLine: number;
  /** Largest request head (request line and headers); beyond it 431. */
  maxHeadBytes: number;
  /** Most header fields in one request; beyond it 431. */
  maxHeaders: number;
  /** Unread body bytes the server discards to keep a connection alive; more and it closes. */
  maxDiscardBytes: number;
  /** How long in-flight requests may finish after a shutdown began, in ms. */
  shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxRequestLine: 8 * 1024,
  maxHeadBytes: 32 * 1024,
  maxHeaders: 100,
  maxDiscardBytes: 1024 * 1024,
  shutdownGraceMs: 5000,
};
