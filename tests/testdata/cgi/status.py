import sys
sys.stdout.write("Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nteapot")
