/**
 * The one place that names the pinned Playwright package (the browser driver only; it never
 * downloads a browser). Inline so that deno.json needs no import map.
 */
export { chromium } from "npm:playwright-core@1.56.1";
export type { Browser, Page, Request } from "npm:playwright-core@1.56.1";
