# Starts `sleep 30` (which inherits stdout), reports its pid, then waits for it.
import subprocess
import sys
child = subprocess.Popen(["sleep", "30"])
sys.stdout.write("Content-Type: text/plain\r\n\r\n%d\n" % child.pid)
sys.stdout.flush()
child.wait()
