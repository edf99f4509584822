#!/usr/bin/env python3
"""Streams five lines, one every half second: the server must pass them on as they come."""
import sys
import time

HEADER = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Slow stream · webserv</title>
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
    <h1>Slow stream</h1>
    <p class="lead">The script prints a line every half second; the server sends each one on as
      it comes, so the page fills in while it loads.</p>
    <div class="panel">
"""

FOOTER = """    </div>
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
"""

out = sys.stdout.buffer
out.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + HEADER.encode("utf-8"))
out.flush()
for i in range(1, 6):
    time.sleep(0.5)
    out.write(f"      <p>Line {i} of 5</p>\n".encode("utf-8"))
    out.flush()
out.write(FOOTER.encode("utf-8"))
out.flush()
