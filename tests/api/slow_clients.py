#!/usr/bin/env python3
"""tests/api/slow_clients.py MODE PORT ARGS - many connections from many
loopback addresses, for test_slow_clients.sh.  Prints one line of
key=value results.

  attack PORT SECONDS N FIRST LAST
      N connections spread over source addresses 127.0.0.FIRST ..
      127.0.0.LAST, a third of each kind, for SECONDS:
        trickle  request headers sent one byte every 2 s, never finished
        silent   connected, nothing sent
        body     a monolithic upload declaring a 10 GiB body, sending
                 1 KiB every 10 s
      A connection the server closes is opened again at once, so the
      pressure never lets up.  Reports, per kind, how many connections
      were opened and closed by the server, and the median and largest
      number of seconds a connection lived before the server closed it.

  keepalive PORT N FIRST LAST
      N keep-alive connections over the same addresses; each sends
      GET /v2/ and reads the answer, all of them stay open, then each
      sends a second GET /v2/ on its open connection.  Reports how many
      connections opened, how many first and second answers were 200.
"""
import selectors
import socket
import statistics
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])
HOST = "127.0.0.1"


def connect_from(src):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect((HOST, port))
    s.setblocking(False)
    return s


TRICKLE = (b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Trickle: " + b"a" * 4000)
ZERO = "sha256:" + "0" * 64
BODY_HEAD = ("POST /v2/attack/body/blobs/uploads/?digest=%s HTTP/1.1\r\n"
             "Host: x\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %d\r\n\r\n" % (ZERO, 10 << 30)).encode()


class Conn:
    def __init__(self, kind, src):
        self.kind, self.src = kind, src
        self.sock = connect_from(src)
        self.opened = time.time()
        self.next_send = self.opened
        self.sent = 0
        if kind == "body":
            self.sock.send(BODY_HEAD)

    def tick(self, now):
        """Send what this kind sends now; False once the server closed."""
        try:
            b = self.sock.recv(65536)
            if not b:
                return False
            # an answer ends the request: the server stopped waiting
            return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        if now < self.next_send:
            return True
        try:
            if self.kind == "trickle":
                self.sock.send(TRICKLE[self.sent % len(TRICKLE):][:1])
                self.sent += 1
                self.next_send = now + 2
            elif self.kind == "body":
                self.sock.send(b"x" * 1024)
                self.next_send = now + 10
        except BlockingIOError:
            pass
        except OSError:
            return False
        return True


def addresses(first, last):
    return ["127.0.0.%d" % i for i in range(first, last + 1)]


def attack(seconds, n, first, last):
    srcs = addresses(first, last)
    kinds = ("trickle", "silent", "body")
    conns, lived = [], {k: [] for k in kinds}
    opened = {k: 0 for k in kinds}
    closed = {k: 0 for k in kinds}
    failed_connect = 0

    def open_one(i):
        nonlocal failed_connect
        k = kinds[i % 3]
        try:
            c = Conn(k, srcs[i % len(srcs)])
        except OSError:
            failed_connect += 1
            return None
        opened[k] += 1
        return c

    for i in range(n):
        conns.append(open_one(i))
    end = time.time() + seconds
    while time.time() < end:
        now = time.time()
        for i, c in enumerate(conns):
            if c is None:
                conns[i] = open_one(i)
                continue
            if not c.tick(now):
                closed[c.kind] += 1
                lived[c.kind].append(now - c.opened)
                c.sock.close()
                conns[i] = open_one(i)
        time.sleep(0.25)
    held = sum(1 for c in conns if c is not None)
    for c in conns:
        if c:
            c.sock.close()
    out = ["held_at_end=%d" % held, "connect_failures=%d" % failed_connect]
    for k in kinds:
        life = lived[k]
        out.append("%s_opened=%d %s_closed=%d %s_median_s=%.1f %s_max_s=%.1f"
                   % (k, opened[k], k, closed[k],
                      k, statistics.median(life) if life else -1,
                      k, max(life) if life else -1))
    print(" ".join(out))


def round_trip(socks):
    sel = selectors.DefaultSelector()
    req = b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"
    pending = {}
    for s in socks:
        try:
            s.send(req)
        except OSError:
            continue  # closed by the server: counts as not answered
        pending[s] = b""
        sel.register(s, selectors.EVENT_READ)
    ok = 0
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:
                sel.unregister(s)
                del pending[s]
                continue
            pending[s] += b
            head, sep, body = pending[s].partition(b"\r\n\r\n")
            if sep and len(body) >= 2:  # "{}"
                if head.startswith(b"HTTP/1.1 200"):
                    ok += 1
                sel.unregister(s)
                del pending[s]
    sel.close()
    return ok


def keepalive(n, first, last):
    srcs = addresses(first, last)
    socks = []
    for i in range(n):
        try:
            socks.append(connect_from(srcs[i % len(srcs)]))
        except OSError:
            pass
    first_ok = round_trip(socks)
    alive = []
    for s in socks:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                continue  # closed
        except BlockingIOError:
            pass
        except OSError:
            continue
        alive.append(s)
    second_ok = round_trip(socks)
    for s in socks:
        s.close()
    print("opened=%d first_ok=%d open_between=%d second_ok=%d"
          % (len(socks), first_ok, len(alive), second_ok))


if mode == "attack":
    attack(float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
           int(sys.argv[6]))
elif mode == "keepalive":
    keepalive(int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    sys.exit("unknown mode " + mode)
