/** Limits the connection driver enforces (nginx keeps them there too, not in the parser). */
import type { Limits } from "../config/types.ts";

export interface ConnectionLimits extends Limits {
  /** Unread body bytes the server discards to keep a connection alive; more and it closes. */
  maxDiscardBytes: number;
  /** How long in-flight requests may finish after a shutdown began, in ms. */
  shutdownGraceMs: number;
}

/** What the configuration does not set. */
export const DRIVER_DEFAULTS = {
  maxDiscardBytes: 1024 * 1024,
  shutdownGraceMs: 5000,
};
