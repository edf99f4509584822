# Writes QUERY_STRING mebibytes of a repeating pattern.
import os
import sys
mib = int(os.environ.get("QUERY_STRING") or 1)
out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\r\n\r\n")
block = bytes(range(256)) * 4096
for _ in range(mib):
    out.write(block)
out.flush()
