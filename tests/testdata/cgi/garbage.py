import sys
sys.stdout.write("this is not a header\r\n\r\nbody\n")
