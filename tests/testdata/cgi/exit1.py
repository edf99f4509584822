import sys
sys.stderr.write("exit1.py failing on purpose\n")
sys.exit(1)
