import sys
import time
sys.stdout.write("Content-Type: text/plain\r\n\r\nfirst\n")
sys.stdout.flush()
time.sleep(30)
