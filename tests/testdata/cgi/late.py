# Writes its pid to the file named by the query string, answers after 1 s, then sends a line
# every 100 ms for 30 s: a script that outlives a connection aborted while it starts.
import os
import sys
import time

with open(os.environ["QUERY_STRING"], "w") as f:
    f.write(str(os.getpid()))
time.sleep(1)
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.flush()
for i in range(300):
    sys.stdout.write("line %d\n" % i)
    sys.stdout.flush()
    time.sleep(0.1)
