<?php
// Sessions demo (PHP): POST logs out. `X-Session: destroy` asks the server to remove the session
// and expire its cookie (the server strips the header from the response).
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    header('X-Session: destroy');
    header('Location: /cgi-bin/login.php', true, 303);
    exit;
}
header('Content-Type: text/html; charset=utf-8');
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Log out · webserv</title>
  <meta name="color-scheme" content="light dark">
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
    <h1>Log out</h1>
    <p class="lead">Ends the session of the <a href="/cgi-bin/login.php">sessions demo</a>: the
      server forgets it and expires its cookie.</p>
    <form method="post" action="/cgi-bin/logout.php"><button>Log out</button></form>
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
