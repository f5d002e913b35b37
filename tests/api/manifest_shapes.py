#!/usr/bin/env python3
"""manifest_shapes.py SHAPE key=value... - print a manifest of a given
shape, as compact JSON, for the manifest limit tests.

Shapes (every descriptor points at what the caller pushed):
  pad      an OCI image manifest (config=, csize=) padded with
           "x":[{},{},...] up to target= bytes: the amplification case
  index    a real-world shaped OCI index up to target= bytes: one entry per
           platform, all naming child= (csize=, ctype=), each with a
           platform and three annotations; subject= (ssize=) optional,
           salt= makes different indexes of the same size
  deep     an OCI image manifest (config=, csize=) with an extra member
           nested depth= arrays deep
  artifact an OCI artifact (config=, csize= for the empty config) with
           subject= (ssize=), artifactType= and annotations holding
           annbytes= bytes of values, salt= for different digests
"""
import json
import sys

OCI_M = "application/vnd.oci.image.manifest.v1+json"
OCI_I = "application/vnd.oci.image.index.v1+json"


def dump(m):
    return json.dumps(m, separators=(",", ":"))


def fill(head, items, tail, target):
    """head + as many of the items (comma-separated) as fit in target
    bytes + tail."""
    out, size = [], len(head) + len(tail)
    for item in items:
        if size + len(item) + (1 if out else 0) > target:
            break
        size += len(item) + (1 if out else 0)
        out.append(item)
    return head + ",".join(out) + tail


def image(a, extra=None):
    m = {"schemaVersion": 2, "mediaType": OCI_M,
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": a["config"], "size": int(a["csize"])},
         "layers": []}
    m.update(extra or {})
    return m


def subject(a):
    return {"mediaType": OCI_M, "digest": a["subject"], "size": int(a["ssize"])}


def shape_pad(a):
    head = dump(image(a))[:-1] + ',"x":['
    n = (int(a["target"]) - len(head) - 2 + 1) // 3
    return head + ",".join(["{}"] * n) + "]}"


def shape_index(a):
    arches = [("amd64", None), ("arm64", "v8"), ("arm", "v7"),
              ("ppc64le", None), ("s390x", None), ("386", None)]
    salt = a.get("salt", "")

    def entries():
        i = 0
        while True:
            arch, variant = arches[i % len(arches)]
            p = {"architecture": arch, "os": "linux"}
            if variant:
                p["variant"] = variant
            yield dump({"mediaType": a["ctype"], "digest": a["child"],
                        "size": int(a["csize"]), "platform": p,
                        "annotations": {
                            "org.opencontainers.image.ref.name": f"v{i}.{i % 7}.{i % 13}",
                            "org.opencontainers.image.created": "2024-05-01T12:00:00Z",
                            "org.example.build": f"{salt}{i}"}})
            i += 1
    m = {"schemaVersion": 2, "mediaType": OCI_I, "manifests": []}
    if "subject" in a:
        m["subject"] = subject(a)
        m["artifactType"] = "application/vnd.example.bundle"
        m["annotations"] = {"org.example.salt": salt}
    text = dump(m)
    cut = text.index('"manifests":[') + len('"manifests":[')
    return fill(text[:cut], entries(), text[cut:], int(a["target"]))


def shape_deep(a):
    nest = "[" * int(a["depth"]) + "]" * int(a["depth"])
    return dump(image(a))[:-1] + ',"x":' + nest + "}"


def shape_artifact(a):
    n = int(a.get("annbytes", "0"))
    ann = {"org.example.salt": a.get("salt", "")}
    if n:
        ann["org.example.payload"] = "p" * n
    m = image(a, {"artifactType": a.get("artifactType", "application/vnd.example"),
                  "subject": subject(a), "annotations": ann})
    m["config"]["mediaType"] = "application/vnd.oci.empty.v1+json"
    return dump(m)


def main():
    shape = sys.argv[1]
    a = dict(kv.split("=", 1) for kv in sys.argv[2:])
    make = globals()["shape_" + shape]
    if "count" not in a:
        sys.stdout.write(make(a))
        return
    # count=N out=PREFIX: PREFIX1.json ... PREFIXN.json, salt= + index
    salt = a.get("salt", "")
    for i in range(1, int(a["count"]) + 1):
        with open(f"{a['out']}{i}.json", "w") as f:
            f.write(make(dict(a, salt=f"{salt}{i}")))


main()
