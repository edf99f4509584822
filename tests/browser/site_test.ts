/**
 * The default site in headless Chromium: every page loads cleanly, uploads and deletes work from
 * the upload page, the CGI forms answer, the video seeks with range requests, and the session demo
 * logs in and out. Skipped when Chromium is not installed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Page } from "./_playwright.ts";
import { CHROMIUM_PATH, fileExists } from "./_chromium.ts";
import { withSite } from "./_with_site.ts";

const REPO = join(import.meta.dirname!, "..", "..");
const OUTPUT = join(REPO, "tests", "output");

const HAS_CHROMIUM = await fileExists(CHROMIUM_PATH);
const HAS_PHP = await fileExists("/usr/bin/php-cgi");
const HAS_LOGIN = await fileExists(join(REPO, "cgi", "login.py"));

/** Registers a browser test, skipped (and saying why) when something it needs is missing. */
function browserTest(
  name: string,
  fn: () => Promise<void>,
  needs: { php?: boolean; login?: boolean } = {},
): void {
  let missing: string | null = null;
  if (!HAS_CHROMIUM) missing = "chromium not installed";
  else if (needs.php && !HAS_PHP) missing = "php-cgi not installed";
  else if (needs.login && !HAS_LOGIN) missing = "cgi/login.py not written yet";
  Deno.test({
    name: missing === null ? name : `${name} (skipped: ${missing})`,
    ignore: missing !== null,
    fn,
  });
}

const PAGES: { path: string; heading: RegExp; php?: boolean }[] = [
  { path: "/", heading: /webserv demo site/ },
  { path: "/gallery.html", heading: /Gallery/ },
  { path: "/video.html", heading: /Video/ },
  { path: "/upload.html", heading: /Upload files/ },
  { path: "/files/", heading: /\/files\// },
  { path: "/uploads/", heading: /\/uploads\// },
  { path: "/cgi-bin/form.php", heading: /Form echo \(PHP\)/, php: true },
  { path: "/cgi-bin/form.py", heading: /Form echo \(Python\)/ },
  { path: "/cgi-bin/env.py", heading: /CGI environment/ },
  { path: "/cgi-bin/hello.pl", heading: /Hello, world!/ },
];

for (const { path, heading, php } of PAGES) {
  browserTest(`"${path}" loads with no failed request and no console error`, async () => {
    await withSite(async ({ site, page }) => {
      const response = await page.goto(site.base + path, { waitUntil: "networkidle" });
      assert.equal(response?.status(), 200);
      assert.match((await page.textContent("h1")) ?? "", heading);
    });
  }, { php });
}

browserTest("the upload page uploads two files, lists them and deletes one", async () => {
  await withSite(async ({ site, page }) => {
    await page.goto(`${site.base}/upload.html`);
    await page.locator("#file-list a", { hasText: "README.txt" }).waitFor();

    await page.setInputFiles("#files", [
      { name: "alpha.txt", mimeType: "text/plain", buffer: Buffer.from("alpha\n") },
      { name: "beta.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(5000, 7) },
    ]);
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/uploads/")),
      page.click("#upload-button"),
    ]);
    assert.equal(posted.status(), 201);
    await page.locator("#upload-status.ok", { hasText: "Uploaded alpha.txt" }).waitFor();
    await page.locator("#file-list a", { hasText: "alpha.txt" }).waitFor();
    await page.locator("#file-list a", { hasText: "beta.bin" }).waitFor();
    assert.equal(await Deno.readTextFile(join(site.uploads, "alpha.txt")), "alpha\n");
    assert.equal((await Deno.stat(join(site.uploads, "beta.bin"))).size, 5000);

    const [deleted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "DELETE"),
      page.click('button[aria-label="Delete alpha.txt"]'),
    ]);
    assert.equal(deleted.status(), 204);
    await page.locator("#list-status.ok", { hasText: "Deleted alpha.txt." }).waitFor();
    await page.locator("#file-list a", { hasText: "alpha.txt" }).waitFor({ state: "detached" });
    assert.equal(await fileExists(join(site.uploads, "alpha.txt")), false);
    assert.equal(await fileExists(join(site.uploads, "beta.bin")), true);
    assert.equal(await page.locator("#file-list a", { hasText: "beta.bin" }).count(), 1);
  });
});

/** The cells of the first table after the heading `title`, row by row. */
async function tableAfter(page: Page, title: string): Promise<string[][]> {
  const rows = page.locator(`h2:text-is("${title}") + table tr`);
  await rows.first().waitFor();
  const out: string[][] = [];
  for (const row of await rows.all()) {
    out.push((await row.locator("th, td").allTextContents()).map((cell) => cell.trim()));
  }
  return out;
}

browserTest("the Python form echoes GET, urlencoded and multipart submissions", async () => {
  await withSite(async ({ site, page }) => {
    await page.goto(`${site.base}/cgi-bin/form.py`);
    await page.fill('input[name="q"]', "find me");
    await Promise.all([page.waitForURL(/\?q=find\+me$/), page.press('input[name="q"]', "Enter")]);
    assert.deepEqual(await tableAfter(page, "Query"), [["q", "find me"]]);

    await page.fill('input[name="a"]', "x & y = ü");
    const [urlencoded] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.press('input[name="a"]', "Enter"),
    ]);
    assert.equal(urlencoded.status(), 200);
    assert.deepEqual(await tableAfter(page, "Fields"), [["a", "x & y = ü"]]);
    assert.match((await page.textContent("body")) ?? "", /Method: POST/);

    await page.fill('input[name="note"]', "with a file");
    await page.setInputFiles('input[name="file"]', {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("twelve bytes"),
    });
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.click('form[enctype="multipart/form-data"] button'),
    ]);
    // The page before had a Fields table too: the Files table says the new one is there.
    assert.deepEqual(await tableAfter(page, "Files (field, name, bytes)"), [
      ["file", "notes.txt", "12"],
    ]);
    assert.deepEqual(await tableAfter(page, "Fields"), [["note", "with a file"]]);
  });
});

browserTest("the PHP form echoes urlencoded and multipart submissions", async () => {
  await withSite(async ({ site, page }) => {
    await page.goto(`${site.base}/cgi-bin/form.php?from=browser`);
    assert.deepEqual(await tableAfter(page, "$_GET"), [["from", "browser"]]);

    await page.fill('input[name="a"]', "x & y = ü");
    const [urlencoded] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.press('input[name="a"]', "Enter"),
    ]);
    assert.equal(urlencoded.status(), 200);
    assert.deepEqual(await tableAfter(page, "$_POST"), [["a", "x & y = ü"]]);

    await page.fill('input[name="note"]', "with a file");
    await page.setInputFiles('input[name="file"]', {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("twelve bytes"),
    });
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.click('form[enctype="multipart/form-data"] button'),
    ]);
    // The page before had a $_POST table too: the file's line says the new one is there.
    await page.getByText("Name: notes.txt, size: 12 bytes").waitFor();
    assert.deepEqual(await tableAfter(page, "$_POST"), [["note", "with a file"]]);
  });
}, { php: true });

browserTest("the Perl greeting reads its query string", async () => {
  await withSite(async ({ site, page }) => {
    await page.goto(`${site.base}/cgi-bin/hello.pl`);
    await page.fill('input[name="name"]', "<Ada>");
    await Promise.all([page.waitForURL(/name=/), page.press('input[name="name"]', "Enter")]);
    assert.equal(await page.textContent("h1"), "Hello, <Ada>!");
  });
});

browserTest("the video loads with a 206 range response, seeks and plays", async () => {
  await withSite(async ({ site, page }) => {
    const size = (await Deno.stat(join(REPO, "public", "media", "sample.webm"))).size;
    const media = page.waitForResponse((r) => r.url().endsWith("/media/sample.webm"));
    await page.goto(`${site.base}/video.html`);
    // Chromium asks for media with "Range: bytes=0-"; the 15 KiB clip then comes whole in one 206.
    const first = await media;
    assert.equal(first.status(), 206);
    assert.equal(await first.request().headerValue("range"), "bytes=0-");
    assert.equal(await first.headerValue("content-range"), `bytes 0-${size - 1}/${size}`);

    // video.js shows the duration on "loadedmetadata".
    await page.locator("#duration", { hasText: /^\d/ }).waitFor();
    const duration = Number(await page.textContent("#duration"));
    assert.ok(duration > 4 && duration < 6, `duration ${duration}`);
    await page.click('button[data-seek="3"]');
    await page.locator("#current-time", { hasText: "3.00" }).waitFor();
    await page.waitForFunction("!document.querySelector('video').seeking");
    await page.locator("#video-source", { hasText: /seekable 0\.00–[45]\.\d\d s/ }).waitFor();

    // Playing from 3 s moves the clock on (the browser decodes what the server sent).
    await page.click("#play-toggle");
    await page.locator("#play-toggle", { hasText: "Pause" }).waitFor();
    await page.waitForFunction(
      "Number(document.getElementById('current-time').textContent) > 3.2",
    );

    // A seek into a file that is not buffered yet asks for the rest of it: the same request, sent
    // by the page, gets a 206 from the middle.
    const partial = await page.evaluate(async (from: number) => {
      const response = await fetch("/media/sample.webm", { headers: { Range: `bytes=${from}-` } });
      return {
        status: response.status,
        range: response.headers.get("content-range"),
        length: (await response.arrayBuffer()).byteLength,
      };
    }, 10_000);
    assert.deepEqual(partial, {
      status: 206,
      range: `bytes 10000-${size - 1}/${size}`,
      length: size - 10_000,
    });
  });
});

browserTest("error pages render with their styles and the intended status", async () => {
  const cases = [
    { path: "/this-page-does-not-exist", status: 404, heading: "Page not found" },
    { path: "/img/", status: 403, heading: "Forbidden" },
  ];
  const intended = new Set(cases.map((c) => c.path));
  await withSite(async ({ site, page }) => {
    for (const { path, status, heading } of cases) {
      const response = await page.goto(site.base + path, { waitUntil: "networkidle" });
      assert.equal(response?.status(), status, path);
      assert.equal(await page.textContent("h1"), heading);
      // The stylesheet applied: the header is laid out by site.css, not the browser default.
      const display = await page.evaluate(
        "getComputedStyle(document.querySelector('.site-nav ul')).display",
      );
      assert.equal(display, "flex", `${path}: site.css not applied`);
    }
  }, (url) => intended.has(new URL(url).pathname));
});

browserTest("every link on the home page answers as intended", async () => {
  await withSite(async ({ site, page }) => {
    await page.goto(`${site.base}/`);
    const hrefs = await page.locator("a[href]").evaluateAll((links) =>
      links.map((link) => link.getAttribute("href") ?? "")
    );
    const urls = hrefs.map((href) => new URL(href, `${site.base}/`));
    const paths = [
      ...new Set(
        urls.filter((url) => url.origin === site.base).map((url) => url.pathname + url.search),
      ),
    ];
    assert.ok(paths.length >= 15, `only ${paths.length} links`);
    const expected: Record<string, number> = {
      "/this-page-does-not-exist": 404,
      "/img/": 403,
      "/cgi-bin/login.py": HAS_LOGIN ? 200 : 404,
    };
    const wrong: string[] = [];
    for (const path of paths) {
      if (path.endsWith(".php") && !HAS_PHP) continue;
      const response = await fetch(site.base + path, { redirect: "manual" });
      // The status is all that matters; slow.py would stream for seconds.
      await response.body?.cancel();
      const want = expected[path] ?? 200;
      if (response.status !== want) wrong.push(`${path}: ${response.status}, expected ${want}`);
    }
    assert.deepEqual(wrong, []);
  });
});

browserTest("a screenshot of the home page is saved to tests/output/home.png", async () => {
  await withSite(async ({ site, page }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${site.base}/`, { waitUntil: "networkidle" });
    await Deno.mkdir(OUTPUT, { recursive: true });
    const path = join(OUTPUT, "home.png");
    await page.screenshot({ path, fullPage: true });
    const png = await Deno.readFile(path);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes`);
  });
});

/** The value of the session cookie in the page's browser context, if any. */
async function sessionCookie(page: Page): Promise<string | undefined> {
  const cookies = await page.context().cookies();
  const cookie = cookies.find((c) => c.name === "WSSESSID");
  if (cookie !== undefined) {
    assert.equal(cookie.httpOnly, true, "the session cookie is not HttpOnly");
    assert.equal(cookie.sameSite, "Lax");
  }
  return cookie?.value;
}

/** The visit counter of a logged-in demo page. */
async function visits(page: Page): Promise<number> {
  return Number(await page.locator("#visits").textContent());
}

const SESSION_DEMOS = [
  { script: "login.py", other: "login.php", php: false },
  { script: "login.php", other: "login.py", php: true },
];

for (const { script, other, php } of SESSION_DEMOS) {
  browserTest(`the session demo "${script}" logs in, counts visits and logs out`, async () => {
    await withSite(async ({ site, page }) => {
      const url = `${site.base}/cgi-bin/${script}`;
      await page.goto(url);
      const anonymous = await sessionCookie(page);
      assert.ok(anonymous, "the first visit got no session cookie");

      // A wrong password is refused on the same page.
      await page.fill('input[name="user"]', "demo");
      await page.fill('input[name="password"]', "wrong");
      await Promise.all([page.waitForURL(url), page.press('input[name="password"]', "Enter")]);
      await page.locator(".status.error", { hasText: "Wrong user name or password" }).waitFor();

      // The right one logs in (POST, then 303 back to the page) under a new session id.
      await page.fill('input[name="user"]', "demo");
      await page.fill('input[name="password"]', "demo");
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && r.status() === 303),
        page.press('input[name="password"]', "Enter"),
      ]);
      await page.locator("#greeting", { hasText: "Hello, demo!" }).waitFor();
      const loggedIn = await sessionCookie(page);
      assert.ok(loggedIn, "no session cookie after the login");
      assert.notEqual(loggedIn, anonymous, "the login kept the id from before it (fixation)");
      assert.equal(await visits(page), 1);

      // Each reload counts; the other language's page shares the session.
      await page.reload();
      assert.equal(await visits(page), 2);
      await page.reload();
      assert.equal(await visits(page), 3);
      if (HAS_PHP) {
        await page.goto(`${site.base}/cgi-bin/${other}`);
        assert.equal(await visits(page), 4);
        await page.goto(url);
        assert.equal(await visits(page), 5);
      }

      // Logging out ends the session: the login form again, and the old id is gone.
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST"),
        page.getByRole("button", { name: "Log out" }).click(),
      ]);
      await page.goto(url);
      await page.locator('input[type="password"]').waitFor();
      assert.notEqual(await sessionCookie(page), loggedIn, "the id survived the logout");
    });
  }, { login: true, php });
}
