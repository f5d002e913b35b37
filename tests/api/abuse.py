#!/usr/bin/env python3
"""tests/api/abuse.py MODE PORT [ARGS] - misbehaving clients for
test_abuse.sh.  Each mode runs until done (or until killed) and prints one
line of "key=value" results for the test to check.

  idle SRC N SECONDS [PREFIX]  open N connections from source address SRC,
                               send PREFIX (may be empty) and hold them;
                               reports how many the server closed
  slow SRC N SECONDS           N connections dribbling one header byte
                               every 0.5 s (slowloris)
  stall SRC                    send half a request, then nothing: reports
                               after how many seconds the server closed
  raw HEXFILE                  send a file's bytes, report the status line
  chunked PATH SECONDS RATE    an endless chunked PATCH body at RATE
                               bytes/s for SECONDS; reports the bytes sent
  uploads REPO N THREADS       N upload POSTs on keep-alive connections
"""
import http.client
import select
import socket
import sys
import threading
import time

mode, port = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:]
HOST = "127.0.0.1"


def conn_from(src, timeout=5):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def closed_by_server(s):
    """True if the server closed the connection (EOF, reset) or answered
    it: either way the server stopped waiting for this client."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        return bool(r)
    except OSError:
        return True


def idle(src, n, seconds, prefix=""):
    socks, refused = [], 0
    for _ in range(n):
        try:
            s = conn_from(src)
            if prefix:
                s.sendall(prefix.encode().decode("unicode_escape").encode())
            socks.append(s)
        except OSError:
            refused += 1
    time.sleep(1.0)
    closed_early = sum(closed_by_server(s) for s in socks) + refused
    time.sleep(max(0, seconds - 1.0))
    closed_end = sum(closed_by_server(s) for s in socks) + refused
    for s in socks:
        s.close()
    print(f"opened={n} closed_after_1s={closed_early} closed_at_end={closed_end}")


def slow(src, n, seconds):
    socks = []
    for _ in range(n):
        try:
            socks.append(conn_from(src))
        except OSError:
            pass
    line = b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    end = time.time() + seconds
    i = 0
    alive = list(socks)
    while time.time() < end and alive:
        nxt = []
        for s in alive:
            try:
                s.send(line[i % len(line):i % len(line) + 1])
                nxt.append(s)
            except OSError:
                pass
        alive = nxt
        i += 1
        time.sleep(0.5)
    still = sum(not closed_by_server(s) for s in alive)
    for s in socks:
        s.close()
    print(f"opened={len(socks)} served_until_end={still}")


def stall(src):
    s = conn_from(src, timeout=30)
    s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    print(f"closed_after={time.time() - t0:.1f}")


def raw(path):
    data = open(path, "rb").read()
    s = conn_from(HOST, timeout=10)
    try:
        s.sendall(data)
    except OSError:
        pass
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    first = got.split(b"\r\n", 1)[0].decode(errors="replace")
    status = first.split(" ")[1] if first.startswith("HTTP/") else "closed"
    print(f"status={status}")


def chunked(path, seconds, rate):
    s = conn_from(HOST, timeout=10)
    s.sendall(f"PATCH {path} HTTP/1.1\r\nHost: x\r\n"
              "Content-Type: application/octet-stream\r\n"
              "Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"x" * 65536
    piece = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent, t0 = 0, time.time()
    try:
        while time.time() - t0 < seconds:
            s.sendall(piece)
            sent += len(chunk)
            ahead = sent / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
    except OSError:
        pass
    s.close()
    print(f"sent={sent}")


def uploads(repo, n, threads):
    counts = {}
    lock = threading.Lock()

    def work(k):
        c = http.client.HTTPConnection(HOST, port, timeout=30)
        for _ in range(k):
            c.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"")
            r = c.getresponse()
            r.read()
            with lock:
                counts[r.status] = counts.get(r.status, 0) + 1
        c.close()

    per = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    ts = [threading.Thread(target=work, args=(k,)) for k in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"accepted={counts.get(202, 0)} other={sum(counts.values()) - counts.get(202, 0)}")


if mode == "idle":
    idle(args[0], int(args[1]), float(args[2]), args[3] if len(args) > 3 else "")
elif mode == "slow":
    slow(args[0], int(args[1]), float(args[2]))
elif mode == "stall":
    stall(args[0])
elif mode == "raw":
    raw(args[0])
elif mode == "chunked":
    chunked(args[0], float(args[1]), float(args[2]))
elif mode == "uploads":
    uploads(args[0], int(args[1]), int(args[2]))
else:
    sys.exit("unknown mode " + mode)
