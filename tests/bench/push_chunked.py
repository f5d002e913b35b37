#!/usr/bin/env python3
"""push_chunked.py URL REPO DIGEST CHUNK... - one chunked blob push.

POST an upload, PATCH each CHUNK file in order (Content-Range), then the
closing PUT with ?digest=DIGEST, all on one keep-alive connection as
registry clients do.  Prints the seconds from the POST to the 201.  Any
other answer prints the status and the start of the body on stderr and
exits 1.

The shell version of this loop started curl, sed and stat for every
chunk; at 64 chunks that was a fixed cost of seconds, the same for every
registry, which measured the shell more than the server.
"""
import http.client
import sys
import time
import urllib.parse


def fail(what, resp):
    body = resp.read(300)
    sys.stderr.write("bench: %s: %d %r\n" % (what, resp.status, body))
    sys.exit(1)


def target(loc, base):
    """Path and query of a Location header (absolute or relative)."""
    u = urllib.parse.urlsplit(urllib.parse.urljoin(base, loc))
    return u.path + ("?" + u.query if u.query else "")


def main():
    url, repo, digest, chunks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    base = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(base.hostname, base.port)
    t0 = time.monotonic()
    conn.request("POST", "/v2/%s/blobs/uploads/" % repo,
                 headers={"Content-Length": "0"})
    resp = conn.getresponse()
    if resp.status != 202:
        fail("POST " + repo, resp)
    resp.read()
    loc = target(resp.getheader("Location"), url)
    off = 0
    for c in chunks:
        with open(c, "rb") as f:
            data = f.read()
        conn.request("PATCH", loc, body=data, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": "%d-%d" % (off, off + len(data) - 1)})
        resp = conn.getresponse()
        if resp.status != 202:
            fail("PATCH %s at %d" % (repo, off), resp)
        resp.read()
        loc = target(resp.getheader("Location"), url)
        off += len(data)
    sep = "&" if "?" in loc else "?"
    conn.request("PUT", loc + sep + "digest=" + digest,
                 headers={"Content-Length": "0"})
    resp = conn.getresponse()
    if resp.status != 201:
        fail("final PUT " + repo, resp)
    resp.read()
    print("%.4f" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
