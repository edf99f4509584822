# Echoes stdin to stdout piece by piece as it reads: a runner that writes all of stdin first deadlocks.
import os
import sys
length = int(os.environ.get("CONTENT_LENGTH") or 0)
out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\r\n\r\n")
out.flush()
left = length
while left > 0:
    piece = sys.stdin.buffer.read1(min(left, 65536))
    if not piece:
        break
    out.write(piece)
    out.flush()
    left -= len(piece)
