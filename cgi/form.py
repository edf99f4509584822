#!/usr/bin/env python3
"""Echoes a form sent by GET or POST (urlencoded or multipart/form-data), without the cgi module."""
import email.parser
import email.policy
import html
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the served directory
import _page  # noqa: E402 (the layout, after the line above)

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


echoed = (
    table("Query", query) + table("Fields", fields)
    + table("Files (field, name, bytes)", files, "files")
)
content = f"""\
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
"""
_page.send(
    [_page.HTML],
    _page.page(
        "Form echo (Python)",
        content,
        "A Python CGI script that echoes GET and POST form fields.",
    ),
)
