#!/usr/bin/env python3
"""Shows the CGI environment the server passed, as an HTML table."""
import html
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the served directory
import _page  # noqa: E402 (the layout, after the line above)

rows = "\n".join(
    f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
    for key, value in sorted(os.environ.items())
)
content = f"""\
    <p class="lead">The variables the server set for this script (RFC 3875 and the
      <code>HTTP_*</code> request headers), sorted by name.</p>
    <table class="data-table env-table">
      <thead><tr><th scope="col">Variable</th><th scope="col">Value</th></tr></thead>
      <tbody>
{rows}
      </tbody>
    </table>
"""
_page.send(
    [_page.HTML],
    _page.page(
        "CGI environment",
        content,
        "Every CGI variable webserv passes to a script (RFC 3875).",
    ),
)
