#!/usr/bin/env python3
"""s3report.py - figures of an s3.sh run: S3 operations per push, the
multipart protocol's minimum, medians, the table and s3.json.

  s3report.py DIR RESULTS.json MODE REPS BLOB_MIB CHUNK_MIB PATCH_MIB \
              CHUNKSIZE COPYCHUNK COPYTHRESHOLD

DIR holds raw.tsv (figure, value: one line per measurement and
repetition) and, per push or pull, <name>.log: the proxy log lines of
Swift written while it ran.  Swift's proxy logs every client request
once with the client's address first; requests Swift makes to itself
(s3api's subrequests, SLO segments) start with "- -" and are not S3
requests of the driver, so they are not counted.

Each S3 request is named by its operation (from method, bucket or key,
and query) and the kind of object it touches, e.g.
"HeadObject startedat", "UploadPart data".
"""
import json
import math
import os
import platform
import statistics
import sys
import time
import urllib.parse
from collections import Counter

MIB = 1 << 20

# The constant overhead a push may have beyond the protocol minimum: S3
# requests the stateless upload protocol needs once per push, whatever
# the blob's size.  Named by operation and object kind as classify()
# names them; the budget is their total.
PUSH_OVERHEAD = [
    ("HeadObject startedat", 1, "the upload exists (the PUT finds it)"),
    ("ListMultipartUploads data", 1, "the reopened writer looks for its upload"),
    ("GetObject data~tail", 1, "... and for a short tail kept by an earlier request"),
    ("HeadObject data", 1, "... and for a committed object to continue"),
    ("HeadObject blob", 1, "is the blob stored already? (then no move)"),
    ("ListObjectsV2 blob", 1, "... stat's directory test after the 404"),
    ("HeadObject data", 1, "move: the source's size picks CopyObject or multipart copy"),
    ("HeadObject upload", 1, "removing the upload directory: a file by that name?"),
    ("ListObjectsV2 upload", 1, "... the keys below it"),
    ("ListMultipartUploads upload", 1, "... multipart uploads below it to abort"),
]
PUSH_OVERHEAD_N = sum(n for _, n, _ in PUSH_OVERHEAD)


def kind(key):
    """The kind of registry object a key is, for grouping."""
    if key is None:
        return ""
    parts = key.split("/")
    if "~" in parts[-1]:
        return parts[-1]  # data~tail
    if "hashstates" in parts:
        return "hashstate"
    if parts[-1] == "startedat":
        return "startedat"
    if parts[-1] == "link":
        return "link"
    if "_uploads" in parts:
        return "data" if parts[-1] == "data" else "upload"
    if "blobs" in parts:
        return "blob"
    return "other"


def classify(line):
    """(operation, kind, bytes received) of a proxy log line, or None."""
    f = line.split()
    if not f or f[0] != "proxy-server:" or len(f) < 12:
        return None
    f = f[1:]
    if f[0] == "-":  # Swift's own subrequest
        return None
    method, raw = f[3], f[4]
    if raw.startswith("/v1/"):
        return None  # a Swift API call, not S3
    target = urllib.parse.unquote(raw)
    path, _, query = target.partition("?")
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    seg = path.lstrip("/").split("/", 1)
    key = urllib.parse.unquote(seg[1]) if len(seg) > 1 and seg[1] else None
    recvd = 0 if f[10] == "-" else int(f[10])
    if key is None:
        prefix = q.get("prefix", [""])[0]
        k = kind(prefix.rstrip("/")) if prefix else ""
        if method == "GET" and "uploads" in q:
            return ("ListMultipartUploads", k, recvd)
        if method == "GET":
            return ("ListObjectsV2", k, recvd)
        if method == "POST" and "delete" in q:
            return ("DeleteObjects", "", recvd)
        return (method + " bucket", "", recvd)
    k = kind(key)
    if method == "POST" and "uploads" in q:
        return ("CreateMultipartUpload", k, recvd)
    if method == "POST" and "uploadId" in q:
        return ("CompleteMultipartUpload", k, recvd)
    if method == "PUT" and "partNumber" in q:
        return ("UploadPart" if recvd else "UploadPartCopy", k, recvd)
    if method == "PUT":
        return ("PutObject" if recvd or k != "blob" else "CopyObject", k, recvd)
    if method == "GET" and "uploadId" in q:
        return ("ListParts", k, recvd)
    if method == "DELETE" and "uploadId" in q:
        return ("AbortMultipartUpload", k, recvd)
    op = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
    return (op.get(method, method), k, recvd)


def ops_of(logfile):
    c = Counter()
    with open(logfile, errors="replace") as fh:
        for line in fh:
            r = classify(line)
            if r:
                c[(r[0] + " " + r[1]).strip()] += 1
    return c


def minimum(size, chunk, copychunk, threshold, patches, seen):
    """S3 requests the multipart protocol needs for one push.  seen: the
    push's counts, to name the deletion of the upload's small objects as
    the driver did it (DeleteObjects, or DeleteObject for a single key)."""
    m = Counter()
    m["PutObject startedat"] = 1
    m["CreateMultipartUpload data"] = 1
    m["UploadPart data"] = max(1, math.ceil(size / chunk))
    m["CompleteMultipartUpload data"] = 1
    if size > threshold:
        m["CreateMultipartUpload blob"] = 1
        m["UploadPartCopy blob"] = math.ceil(size / copychunk)
        m["CompleteMultipartUpload blob"] = 1
    else:
        m["CopyObject blob"] = 1
    m["DeleteObject data"] = 1  # the move's source
    m["PutObject link"] = 1
    if patches:
        m["PutObject hashstate"] = patches  # resumable hash, one per PATCH
    if seen.get("DeleteObjects") or not seen.get("DeleteObject startedat"):
        m["DeleteObjects"] = 1  # the upload's startedat (and hash state)
    else:
        m["DeleteObject startedat"] = 1
    return m


def med(vals):
    return statistics.median(vals) if vals else None


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.1f}"
    return str(int(v))


def main():
    (d, out, mode, reps, blob_mib, chunk_mib, patch_mib, chunksize, copychunk,
     threshold) = sys.argv[1:11]
    reps, blob_mib, patch_mib = int(reps), int(blob_mib), int(patch_mib)
    chunksize, copychunk, threshold = int(chunksize), int(copychunk), int(threshold)
    size = blob_mib * MIB
    raw = {}
    with open(os.path.join(d, "raw.tsv")) as fh:
        for line in fh:
            fig, val = line.rstrip("\n").split("\t")
            raw.setdefault(fig, []).append(float(val))

    figures = {}
    rows = []

    def add(fig, label, unit, value, note=""):
        figures[fig] = {"label": label, "unit": unit, "median": value,
                        "values": raw.get(fig, [value])}
        rows.append((label, fmt(value), unit, note))

    for fig, label in [
        ("push_mono_MBps", f"{blob_mib} MiB push, monolithic (POST + PUT ?digest=)"),
        ("push_chunked_MBps", f"{blob_mib} MiB push, {patch_mib} MiB PATCH chunks"),
        ("pull_proxied_MBps", f"{blob_mib} MiB pull through Berth (redirect disabled)"),
        ("pull_redirect_MBps", f"{blob_mib} MiB pull via presigned redirect (curl -L)"),
        ("pull_direct_MBps", f"{blob_mib} MiB GET straight from S3 (reference)"),
    ]:
        add(fig, label, "MB/s", med(raw.get(fig, [])))

    npatch = math.ceil(size / (patch_mib * MIB))
    verdicts = {}
    allowance = math.ceil(size / chunksize)
    detail_lines = []
    for style, patches in (("mono", 0), ("chunked", npatch)):
        logs = sorted(f for f in os.listdir(d)
                      if f.startswith(f"push_{style}_") and f.endswith(".log"))
        counts = [ops_of(os.path.join(d, f)) for f in logs]
        if not counts:
            continue
        totals = [sum(c.values()) for c in counts]
        c = counts[0]
        mn = minimum(size, chunksize, copychunk, threshold, patches, c)
        total, need = sum(c.values()), sum(mn.values())
        budget = need + allowance + PUSH_OVERHEAD_N
        ok = max(totals) <= budget
        extra = {k: v - mn.get(k, 0) for k, v in c.items() if v > mn.get(k, 0)}
        missing = {k: mn[k] - c.get(k, 0) for k in mn if c.get(k, 0) < mn[k]}
        verdicts[style] = {
            "requests": totals, "minimum": need,
            "allowance_per_chunksize": allowance,
            "constant_overhead": PUSH_OVERHEAD_N, "budget": budget,
            "verdict": "PASS" if ok else "MISS",
            "operations": dict(sorted(c.items())),
            "minimum_operations": dict(sorted(mn.items())),
            "beyond_minimum": dict(sorted(extra.items())),
            "below_minimum": dict(sorted(missing.items())),
        }
        if patches:
            verdicts[style]["patches"] = patches
        label = "monolithic" if style == "mono" else f"chunked ({patches} PATCHes)"
        add(f"s3_requests_{style}", f"S3 requests per push, {label}", "",
            float(med(totals)),
            f"minimum {need}, budget {budget}: "
            f"{'PASS' if ok else 'MISS'}")
        add(f"s3_requests_per_5MiB_{style}",
            f"S3 requests per 5 MiB of blob, {label}", "",
            round(med(totals) / (size / (5 * MIB)), 2))
        detail_lines.append(f"{label}: {total} S3 requests, protocol minimum {need}, "
                            f"budget {budget} = minimum + {allowance} (one per "
                            f"chunksize) + {PUSH_OVERHEAD_N} (constant) -> "
                            f"{'PASS' if ok else 'MISS'}")
        for k in sorted(c):
            tag = ""
            if c[k] > mn.get(k, 0):
                tag = f"  (+{c[k] - mn.get(k, 0)} beyond minimum)"
            detail_lines.append(f"    {c[k]:4d}  {k}{tag}")
        for k, v in sorted(missing.items()):
            detail_lines.append(f"    (minimum counts {v} more {k})")
        if patches:
            per = (total - need - PUSH_OVERHEAD_N) / patches
            detail_lines.append(f"    beyond the minimum: {total - need} = "
                                f"{PUSH_OVERHEAD_N} constant + {per:.1f} per PATCH")

    for style in ("proxied", "redirect"):
        logs = sorted(f for f in os.listdir(d)
                      if f.startswith(f"pull_{style}_") and f.endswith(".log"))
        counts = [ops_of(os.path.join(d, f)) for f in logs]
        if counts:
            totals = [sum(c.values()) for c in counts]
            add(f"s3_requests_pull_{style}",
                f"S3 requests per pull, {'through Berth' if style == 'proxied' else 'redirect'}",
                "", float(med(totals)),
                ", ".join(f"{v} {k}" for k, v in sorted(counts[0].items())))
            verdicts["pull_" + style] = {"requests": totals,
                                         "operations": dict(sorted(counts[0].items()))}

    print()
    print(f"## Berth on S3 (OpenStack Swift s3api on loopback): {mode} run, "
          f"{reps} repetition(s), median")
    print(f"chunksize {chunksize >> 20} MiB, multipartcopychunksize "
          f"{copychunk >> 20} MiB, multipartcopythresholdsize {threshold >> 20} MiB")
    print()
    print("| figure | value | unit | note |")
    print("|---|---:|---|---|")
    for label, v, unit, note in rows:
        print(f"| {label} | {v} | {unit} | {note} |")
    print()
    for line in detail_lines:
        print(line)
    print()
    print(f"constant overhead allowed per push ({PUSH_OVERHEAD_N} requests):")
    for k, n, why in PUSH_OVERHEAD:
        print(f"    {n}  {k}: {why}")

    with open(out, "w") as fh:
        json.dump({
            "mode": mode, "repetitions": reps, "blob_mib": blob_mib,
            "patch_mib": patch_mib, "chunksize": chunksize,
            "multipartcopychunksize": copychunk,
            "multipartcopythresholdsize": threshold,
            "endpoint": "OpenStack Swift s3api (loopback)",
            "host": platform.node(), "cpus": os.cpu_count(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "figures": figures, "requests": verdicts,
            "constant_overhead": [{"request": k, "count": n, "why": why}
                                  for k, n, why in PUSH_OVERHEAD],
        }, fh, indent=2)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
