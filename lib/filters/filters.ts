/**
 * The response filters, in the order they see a response (nginx's filter chain): each gets the
 * final response of a request, after error pages, and returns it changed or as it was.
 */
import type { Filter, RequestContext } from "../phases/context.ts";
import type { Response } from "../http/response.ts";
import { notModifiedFilter } from "./not_modified.ts";
import { rangeFilter } from "./range.ts";

export const FILTERS: readonly Filter[] = [
  // 304 and 412 from the validators.
  notModifiedFilter,
  // 206 and 416 from Range.
  rangeFilter,
];

/** Passes a response through every filter. */
export function applyFilters(ctx: RequestContext, res: Response): Response {
  for (const filter of FILTERS) res = filter(ctx, res);
  return res;
}
