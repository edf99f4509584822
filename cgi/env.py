#!/usr/bin/env python3
"""Shows the CGI environment the server passed, as an HTML table."""
import html
import os
import sys

HEADER = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CGI environment · webserv</title>
  <meta name="description" content="Every CGI variable webserv passes to a script (RFC 3875).">
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
"""

FOOTER = """  <footer class="site-footer">
    <div class="wrap">
      Served by <strong>webserv</strong>, an HTTP/1.1 server written in TypeScript on Deno.
      <a href="/">Home</a>
    </div>
  </footer>
</body>
</html>
"""

rows = "\n".join(
    f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
    for key, value in sorted(os.environ.items())
)
page = f"""{HEADER}  <main id="main" class="wrap">
    <h1>CGI environment</h1>
    <p class="lead">The variables the server set for this script (RFC 3875 and the
      <code>HTTP_*</code> request headers), sorted by name.</p>
    <table class="data-table env-table">
      <thead><tr><th scope="col">Variable</th><th scope="col">Value</th></tr></thead>
      <tbody>
{rows}
      </tbody>
    </table>
    <p><a href="/">Back home</a></p>
  </main>
{FOOTER}"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page.encode("utf-8"))
