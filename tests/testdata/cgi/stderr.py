import sys
sys.stderr.write("line one\nline two\n")
sys.stderr.flush()
sys.stdout.write("Content-Type: text/plain\r\n\r\nok\n")
