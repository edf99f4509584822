import sys
sys.stdout.write("Location: http://example.test/elsewhere\r\n\r\n")
