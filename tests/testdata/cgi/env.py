# Prints the environment as KEY=VALUE lines, sorted.
import os
import sys
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
for key in sorted(os.environ):
    sys.stdout.write("%s=%s\n" % (key, os.environ[key]))
