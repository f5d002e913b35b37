#!/usr/bin/env python3
"""mkimage.py - write an OCI image layout with LAYERS random layers.

  mkimage.py DIR LAYERS LAYER_BYTES

Each layer is a gzip tar holding one file of fresh random bytes, so every
call makes blobs no registry (and no client-side blob cache) has seen:
a push really uploads every layer.  Tag: v1.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(d, data):
    h = hashlib.sha256(data).hexdigest()
    p = os.path.join(d, "blobs/sha256", h)
    with open(p, "wb") as f:
        f.write(data)
    return "sha256:" + h


def main():
    d, layers, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(os.path.join(d, "blobs/sha256"), exist_ok=True)
    descs, diffs = [], []
    for i in range(layers):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo("layer%02d/data" % i)
            info.size = size
            info.mtime = 0
            t.addfile(info, io.BytesIO(os.urandom(size)))
        tar = raw.getvalue()
        gz = gzip.compress(tar, compresslevel=1, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": blob(d, gz), "size": len(gz)})
        diffs.append("sha256:" + hashlib.sha256(tar).hexdigest())
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(d, config), "size": len(config)},
        "layers": descs}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": blob(d, manifest), "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


if __name__ == "__main__":
    main()
