#!/usr/bin/env python3
"""Shows the CGI environment the server passed, as an HTML table."""
import html
import os
import sys

rows = "\n".join(
    f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
    for key, value in sorted(os.environ.items())
)
page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>CGI environment</title>
<style>th {{ text-align: left; padding-right: 1em; }} td {{ font-family: monospace; }}</style></head>
<body>
<h1>CGI environment</h1>
<table>
{rows}
</table>
<p><a href="/">Back home</a></p>
</body>
</html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page.encode("utf-8"))
