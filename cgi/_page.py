"""The site's page layout for the Python CGI scripts here: head, header, navigation and footer.

A script in this directory uses it with `import _page`: Python puts the script's directory first on
sys.path. Set `sys.dont_write_bytecode = True` before that import, so that no __pycache__ appears in
a directory the server serves. This file is no page: requested itself (/cgi-bin/_page.py), it
answers 404.
"""
import html
import sys

# The header of an HTML answer, for send().
HTML = ("Content-Type", "text/html; charset=utf-8")

# What follows a page's content: the link home, the end of <main>, the footer.
BOTTOM = """    <p><a href="/">Back home</a></p>
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


def top(title, description=None):
    """The page up to its <h1>, which is `title` (text, escaped here); then comes the content.

    `description` (text) is the page's <meta name="description">, left out when None. A script that
    streams its content sends this first, then the content, then BOTTOM.
    """
    title = html.escape(title)
    meta = ""
    if description is not None:
        meta = f'  <meta name="description" content="{html.escape(description)}">\n'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · webserv</title>
{meta}  <meta name="color-scheme" content="light dark">
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
    <h1>{title}</h1>
"""


def page(title, body, description=None):
    """The whole page: the layout around `body`, HTML lines under the <h1> (already escaped)."""
    return top(title, description) + body + BOTTOM


def send(headers, body=""):
    """Writes a CGI answer: `headers` as (name, value) pairs ("Status" among them for a status other
    than 200), the blank line, then `body`, all in UTF-8; and flushes it."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    sys.stdout.buffer.write((head + "\r\n" + body).encode("utf-8"))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    send(
        [("Status", "404 Not Found"), ("Content-Type", "text/plain; charset=utf-8")],
        "Not found: _page.py is the layout of the other pages, not a page.\n",
    )
