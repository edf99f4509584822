/** watchPage() itself: it must see what the site tests rely on it to see. */
import assert from "node:assert/strict";
import { CHROMIUM_PATH, fileExists, launchChromium } from "./_chromium.ts";
import { startDefaultSite } from "./_default_site.ts";
import { watchPage } from "./_page_watch.ts";

const HAS_CHROMIUM = await fileExists(CHROMIUM_PATH);

const NAME = "watchPage() reports error responses, console errors and page errors";

Deno.test({
  name: HAS_CHROMIUM ? NAME : `${NAME} (skipped: chromium not installed)`,
  ignore: !HAS_CHROMIUM,
  async fn() {
    const site = await startDefaultSite();
    const browser = await launchChromium().catch(async (e) => {
      await site.close();
      throw e;
    });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      const watch = watchPage(page, (url) => url.endsWith("/allowed-missing.png"));
      await page.goto(`${site.base}/`);
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/missing.png")),
        page.waitForResponse((r) => r.url().endsWith("/allowed-missing.png")),
        page.waitForEvent("console", (m) => m.text() === "boom"),
        page.waitForEvent("pageerror"),
        page.evaluate(`
          for (const name of ["missing.png", "allowed-missing.png"]) {
            const img = document.createElement("img");
            img.src = "/" + name;
            document.body.append(img);
          }
          console.error("boom");
          setTimeout(() => { throw new Error("thrown"); });
        `),
      ]);
      assert.ok(
        watch.problems.includes("error response: GET 404 /missing.png"),
        `${watch.problems}`,
      );
      assert.ok(watch.problems.some((p) => p.startsWith("console error: boom")));
      assert.ok(watch.problems.includes("page error: thrown"));
      assert.ok(!watch.problems.some((p) => p.includes("allowed-missing")), `${watch.problems}`);
    } finally {
      try {
        await browser.close();
      } finally {
        await site.close();
      }
    }
  },
});
