#!/usr/bin/env python3
"""Streams five lines, one every half second: the server must pass them on as they come."""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the served directory
import _page  # noqa: E402 (the layout, after the line above)

LEAD = """\
    <p class="lead">The script prints a line every half second; the server sends each one on as
      it comes, so the page fills in while it loads.</p>
    <div class="panel">
"""

# The head and the page up to the lines first (send() flushes), then each line as it is printed.
_page.send([_page.HTML], _page.top("Slow stream") + LEAD)
out = sys.stdout.buffer
for i in range(1, 6):
    time.sleep(0.5)
    out.write(f"      <p>Line {i} of 5</p>\n".encode("utf-8"))
    out.flush()
out.write(("    </div>\n" + _page.BOTTOM).encode("utf-8"))
out.flush()
