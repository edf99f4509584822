#!/usr/bin/env python3
"""Sessions demo (Python): POST logs out. `X-Session: destroy` asks the server to remove the
session and expire its cookie (the server strips the header from the response)."""
import os
import sys

if os.environ.get("REQUEST_METHOD") == "POST":
    sys.stdout.write("X-Session: destroy\r\nStatus: 303 See Other\r\n"
                     "Location: /cgi-bin/login.py\r\n\r\n")
else:
    sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n\r\n"
                     '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                     "<title>Log out</title></head><body>"
                     '<form method="post" action="/cgi-bin/logout.py"><button>Log out</button>'
                     "</form></body></html>\n")
