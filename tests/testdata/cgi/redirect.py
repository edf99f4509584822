import sys
sys.stdout.write("Location: /other/page?x=1\r\n\r\n")
