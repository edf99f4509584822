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


def table(title, rows):
    if not rows:
        return ""
    cells = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<h2>{html.escape(title)}</h2>\n<table>\n{cells}\n</table>\n"


page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Form echo (Python)</title></head>
<body>
<h1>Form echo (Python)</h1>
<p>Method: {html.escape(method)}</p>
{table("Query", query)}{table("Fields", fields)}{table("Files (field, name, bytes)", files)}
<h2>Try it</h2>
<form method="get" action=""><input name="q" placeholder="GET value"> <button>GET</button></form>
<form method="post" action=""><input name="a" placeholder="urlencoded"> <button>POST</button></form>
<form method="post" action="" enctype="multipart/form-data">
<input name="note" placeholder="multipart"> <input type="file" name="file"> <button>Upload</button>
</form>
<p><a href="/">Back home</a></p>
</body>
</html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page.encode("utf-8"))
