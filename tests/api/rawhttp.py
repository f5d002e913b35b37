#!/usr/bin/env python3
"""tests/api/rawhttp.py PORT - send the bytes on standard input to the
server as they are (no client library normalises them), read until the
server closes or goes quiet, and print one line:

  statuses=400,200 closed=1 seconds=0.01

`statuses` lists the status code of every response found in what came
back, in order (so a request smuggled behind the first shows up as a
second status); `closed` is 1 when the server closed the connection
within TIMEOUT seconds of its last byte, 0 when it kept it open.
"""
import re
import socket
import sys
import time

TIMEOUT = 3.0

port = int(sys.argv[1])
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.time()
try:
    s.sendall(data)
except OSError:
    pass
got = b""
closed = 0
s.settimeout(TIMEOUT)
while True:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    except OSError:
        closed = 1
        break
    if not b:
        closed = 1
        break
    got += b
s.close()
statuses = re.findall(rb"HTTP/1\.[01] (\d{3}) ", got)
print("statuses=%s closed=%d seconds=%.2f" % (
    ",".join(x.decode() for x in statuses) or "none", closed,
    time.time() - t0))
