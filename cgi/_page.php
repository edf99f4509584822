<?php
// The site's page layout for the PHP scripts here: head, header, navigation and footer.
//
// A script in this directory uses it with `require __DIR__ . '/_page.php';` (it prints nothing),
// then prints page_top($title, $description), its content, and page_bottom(). This file is no
// page: requested itself (/cgi-bin/_page.php), it answers 404.

/** `$s` escaped for HTML text and attribute values. */
function e(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

/**
 * The page up to its <h1>, which is `$title` (text, escaped here); then comes the content.
 * `$description` (text) is the page's <meta name="description">, left out when null.
 */
function page_top(string $title, ?string $description = null): string
{
    $title = e($title);
    $meta = $description === null
        ? ''
        : '  <meta name="description" content="' . e($description) . "\">\n";
    return <<<HTML
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>$title · webserv</title>
$meta  <meta name="color-scheme" content="light dark">
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="icon" href="/favicon.ico" sizes="32x32">
  <link rel="stylesheet" href="/css/site.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <div class="wrap">
      <a class="brand" href="/"><img src="/favicon.svg" alt="" width="28" height="28"> webserv</a>
      <nav class="site-nav" aria-label="Main">
        <ul>
          <li><a href="/">Home</a></li>
          <li><a href="/gallery.html">Gallery</a></li>
          <li><a href="/video.html">Video</a></li>
          <li><a href="/upload.html">Upload</a></li>
          <li><a href="/files/">Files</a></li>
        </ul>
      </nav>
    </div>
  </header>
  <main id="main" class="wrap">
    <h1>$title</h1>

HTML;
}

/** What follows a page's content: the link home, the end of <main>, the footer. */
function page_bottom(): string
{
    return <<<'HTML'
    <p><a href="/">Back home</a></p>
  </main>
  <footer class="site-footer">
    <div class="wrap">
      Served by <strong>webserv</strong>, an HTTP/1.1 server written in TypeScript on Deno.
      <a href="/">Home</a>
    </div>
  </footer>
</body>
</html>

HTML;
}

if (realpath((string)($_SERVER['SCRIPT_FILENAME'] ?? '')) === __FILE__) {
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Not found: _page.php is the layout of the other pages, not a page.\n";
    exit;
}
