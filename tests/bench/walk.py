#!/usr/bin/env python3
"""walk.py - time paginated list endpoints over one keep-alive connection.

  walk.py first URL N      median seconds of N requests for URL (a first page)
  walk.py walk URL         follow Link rel="next" to the end; prints
                           "<seconds> <pages> <items>"

URL is a tags/list or _catalog URL, e.g.
http://127.0.0.1:5000/v2/_catalog?n=100.  Python's http.client keeps the
connection open, so the figures are the server's, not process start-up.
"""
import http.client
import json
import re
import statistics
import sys
import time
import urllib.parse


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("walk.py: GET %s: %d %s" % (path, r.status, body[:200]))
    return r.getheader("Link"), json.loads(body)


def main():
    mode, url = sys.argv[1], sys.argv[2]
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    path = u.path + ("?" + u.query if u.query else "")
    if mode == "first":
        times = []
        for _ in range(int(sys.argv[3])):
            t = time.perf_counter()
            get(conn, path)
            times.append(time.perf_counter() - t)
        print("%.6f" % statistics.median(times))
        return
    pages = items = 0
    t = time.perf_counter()
    while path:
        link, body = get(conn, path)
        pages += 1
        items += len(body.get("tags") or body.get("repositories") or [])
        m = re.search(r'<([^>]*)>\s*;\s*rel="?next"?', link or "")
        path = None
        if m:
            nxt = urllib.parse.urlsplit(m.group(1))
            path = nxt.path + ("?" + nxt.query if nxt.query else "")
    print("%.6f %d %d" % (time.perf_counter() - t, pages, items))


if __name__ == "__main__":
    main()
