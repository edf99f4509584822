#!/usr/bin/env python3
"""Sessions demo (Python): POST logs out. `X-Session: destroy` asks the server to remove the
session and expire its cookie (the server strips the header from the response)."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the served directory
import _page  # noqa: E402 (the layout, after the line above)

CONTENT = """\
    <p class="lead">Ends the session of the <a href="/cgi-bin/login.py">sessions demo</a>: the
      server forgets it and expires its cookie.</p>
    <form method="post" action="/cgi-bin/logout.py"><button>Log out</button></form>
"""

if os.environ.get("REQUEST_METHOD") == "POST":
    _page.send([("X-Session", "destroy"), ("Status", "303 See Other"),
                ("Location", "/cgi-bin/login.py")])
else:
    _page.send([_page.HTML], _page.page("Log out", CONTENT))
