#!/usr/bin/env python3
"""Streams five lines, one every half second: the server must pass them on as they come."""
import sys
import time

out = sys.stdout
out.write("Content-Type: text/html; charset=utf-8\r\n\r\n")
out.write('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
          "<title>Slow stream</title></head>\n<body>\n<h1>Slow stream</h1>\n")
out.flush()
for i in range(1, 6):
    time.sleep(0.5)
    out.write(f"<p>Line {i} of 5</p>\n")
    out.flush()
out.write('<p><a href="/">Back home</a></p>\n</body>\n</html>\n')
out.flush()
