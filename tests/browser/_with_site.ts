/** Runs a browser test against the default site: server, Chromium and one watched page. */
import assert from "node:assert/strict";
import type { Browser, Page } from "./_playwright.ts";
import { launchChromium } from "./_chromium.ts";
import { type DefaultSite, startDefaultSite } from "./_default_site.ts";
import { type Allowance, type PageWatch, watchPage } from "./_page_watch.ts";

/** Longest wait for any one browser action or event. */
export const STEP_TIMEOUT_MS = 10_000;

/** What a test body gets. */
export interface SiteRun {
  site: DefaultSite;
  browser: Browser;
  page: Page;
  watch: PageWatch;
}

/**
 * Starts the default site and Chromium, opens a page, runs `fn`, then fails if the page reported
 * a problem (see watchPage) and closes the browser and the server whatever happened.
 */
export async function withSite(
  fn: (run: SiteRun) => Promise<void>,
  allow?: Allowance,
): Promise<void> {
  const site = await startDefaultSite();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const watch = watchPage(page, allow);
    await fn({ site, browser, page, watch });
    assert.deepEqual(watch.problems, [], "the page reported problems");
  } finally {
    try {
      await browser?.close();
    } finally {
      await site.close();
    }
  }
}
