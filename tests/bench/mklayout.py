#!/usr/bin/env python3
"""mklayout.py - write repositories and tags straight into a registry root.

  mklayout.py ROOT IMAGE_DIR --repos PREFIX N
  mklayout.py ROOT IMAGE_DIR --tags REPO N

Berth and CNCF Distribution read the same storage layout
(<root>/docker/registry/v2/...), so a benchmark can create 10,000
repositories or tags in seconds instead of pushing them one by one.
IMAGE_DIR holds config, layer and manifest files (written by
requests.sh); every repository gets layer links for the config and the
layer, the manifest revision and a tag pointing at it -- a complete,
consistent repository as a push would leave it.
"""
import hashlib
import os
import sys


def digest_of(path):
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha256(data).hexdigest(), data


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 6 or sys.argv[3] not in ("--repos", "--tags"):
        sys.exit(__doc__)
    root, image, mode, name, count = sys.argv[1:]
    count = int(count)
    v2 = os.path.join(root, "docker/registry/v2")
    blobs = {}
    for part in ("config", "layer", "manifest"):
        blobs[part] = digest_of(os.path.join(image, part))
    for hexd, data in blobs.values():
        p = os.path.join(v2, "blobs/sha256", hexd[:2], hexd, "data")
        if not os.path.exists(p):
            put(p, data)
    mhex = blobs["manifest"][0]
    link = lambda h: ("sha256:" + h).encode()

    def repo(rname, tags):
        r = os.path.join(v2, "repositories", rname)
        for part in ("config", "layer"):
            h = blobs[part][0]
            put(os.path.join(r, "_layers/sha256", h, "link"), link(h))
        m = os.path.join(r, "_manifests")
        put(os.path.join(m, "revisions/sha256", mhex, "link"), link(mhex))
        for t in tags:
            put(os.path.join(m, "tags", t, "current/link"), link(mhex))
            put(os.path.join(m, "tags", t, "index/sha256", mhex, "link"),
                link(mhex))

    if mode == "--repos":
        for i in range(count):
            repo("%s/r%05d" % (name, i), ["latest"])
    else:
        repo(name, ["t%05d" % i for i in range(count)])


if __name__ == "__main__":
    main()
