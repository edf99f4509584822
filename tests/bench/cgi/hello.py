import sys

sys.stdout.write("Content-Type: text/plain\r\n\r\nhello\n")
