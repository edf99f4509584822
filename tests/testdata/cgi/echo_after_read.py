# Reads the whole body before answering with its length.
import os
import sys
length = int(os.environ.get("CONTENT_LENGTH") or 0)
data = sys.stdin.buffer.read(length)
sys.stdout.write("Content-Type: text/plain\r\n\r\nread %d bytes\n" % len(data))
