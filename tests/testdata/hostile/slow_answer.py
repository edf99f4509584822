# Answers after half a second: a request still in progress when a shutdown begins.
import sys
import time
time.sleep(0.5)
sys.stdout.write("Content-Type: text/plain\r\n\r\nfinished\n")
