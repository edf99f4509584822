# Connects to 127.0.0.1:PORT and resets (SO_LINGER 0) at once, again and again for SECONDS;
# prints how many connections it made. Usage: reset_burst.py PORT SECONDS
import socket
import struct
import sys
import time

port = int(sys.argv[1])
seconds = float(sys.argv[2])
count = 0
end = time.time() + seconds
while time.time() < end:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    s.close()
    count += 1
print(count)
