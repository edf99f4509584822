import os
import sys
sys.stdout.write("Content-Type: text/plain\r\nX-Lang: python\r\n\r\n")
sys.stdout.write("hello from python " + os.environ.get("QUERY_STRING", "") + "\n")
