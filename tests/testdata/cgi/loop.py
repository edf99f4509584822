#!/usr/bin/env python3
# Sends the client back to itself with a local redirect: an internal-redirect loop.
import sys
sys.stdout.write("Location: /cgi-bin/loop.py\r\n\r\n")
