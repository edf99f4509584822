#!/usr/bin/env python3
"""Echoes a form sent by GET or POST (urlencoded or multipart/form-data), without the cgi module."""
import email.parser
import email.policy
import html
import os
import sys
import urllib.parse

MAX_BODY = 10 * 1024 * 1024


def read_body():
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise ValueError("body too large")
    data = b""
    while len(data) < length:
        piece = sys.stdin.buffer.read(length - len(data))
        if not piece:
            break
        data += piece
    return data


def parse_multipart(content_type, body):
    """Returns (fields, files) with files as (field, filename, size)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields, files = [], []
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.append((name, filename, len(payload)))
        else:
            fields.append((name, payload.decode("utf-8", "replace")))
    return fields, files


method = os.environ.get("REQUEST_METHOD", "GET")
query = urllib.parse.parse_qsl(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
fields, files = [], []
if method == "POST":
    content_type = os.environ.get("CONTENT_TYPE", "")
    body = read_body()
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    elif content_type.startswith("multipart/form-data"):
        fields, files = parse_multipart(content_type, body)


def table(title, rows, kind=""):
    if not rows:
        return ""
    cells = "\n".join(
        "      <tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    classes = f"data-table {kind}".strip()
    return (
        f"    <h2>{html.escape(title)}</h2>\n"
        f'    <table class="{classes}">\n{cells}\n    </table>\n'
    )


HEADER = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Form echo (Python) · webserv</title>
  <meta name="description" content="A Python CGI script that echoes GET and POST form fields.">
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

echoed = (
    table("Query", query) + table("Fields", fields)
    + table("Files (field, name, bytes)", files, "files")
)
page = f"""{HEADER}  <main id="main" class="wrap">
    <h1>Form echo (Python)</h1>
    <p class="lead">What this script received, parsed without the <code>cgi</code> module: the
      query string, and urlencoded or <code>multipart/form-data</code> fields and files.</p>
    <p>Method: {html.escape(method)}</p>
{echoed}
    <h2>Try it</h2>
    <form class="panel" method="get" action="">
      <label for="q">A query string (GET)</label>
      <div class="field-row">
        <input id="q" name="q" placeholder="GET value">
        <button>GET</button>
      </div>
    </form>
    <form class="panel" method="post" action="">
      <label for="a">An urlencoded body (POST)</label>
      <div class="field-row">
        <input id="a" name="a" placeholder="urlencoded">
        <button>POST</button>
      </div>
    </form>
    <form class="panel" method="post" action="" enctype="multipart/form-data">
      <label for="note">A multipart body with a file (POST)</label>
      <div class="field-row">
        <input id="note" name="note" placeholder="multipart">
        <input type="file" name="file" aria-label="File">
        <button>Upload</button>
      </div>
    </form>
    <p><a href="/">Back home</a></p>
  </main>
{FOOTER}"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page.encode("utf-8"))
