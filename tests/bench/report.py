#!/usr/bin/env python3
"""report.py - medians, ratios and targets of a bench.sh run.

  report.py RAW.tsv RESULTS.json MODE REPS BLOB_MIB LIST_COUNT

RAW.tsv has one line per measurement: figure, target (berth,
distribution, nginx, machine, run), value.  Prints a Markdown table
(median of the repetitions for Berth and Distribution, the ratio
Berth/Distribution, the reference and whether Berth meets its target)
and writes every figure as JSON.
"""
import json
import platform
import statistics
import sys
import time

# figure, label, unit, reference column (target and figure, or None)
FIGURES = [
    ("push_mono_MBps", "BLOB blob push, monolithic PUT", "MB/s",
     ("machine", "disk_write_sync_MBps")),
    ("push_chunked_MBps", "BLOB blob push, 16 MiB PATCH chunks", "MB/s",
     ("machine", "disk_write_sync_MBps")),
    ("push_mono_cpu_s", "server CPU (user + system) per monolithic push", "s",
     None),
    ("pull_MBps", "BLOB blob pull", "MB/s", ("nginx", "pull_MBps")),
    ("manifest_get_rps", "manifest GET, 32 connections", "req/s", None),
    ("manifest_get_p50_ms", "manifest GET p50", "ms", None),
    ("manifest_get_p99_ms", "manifest GET p99", "ms", None),
    ("manifest_get_errors", "manifest GET errors", "", None),
    ("blob_head_rps", "blob HEAD, 32 connections", "req/s", None),
    ("blob_head_p50_ms", "blob HEAD p50", "ms", None),
    ("blob_head_p99_ms", "blob HEAD p99", "ms", None),
    ("blob_head_errors", "blob HEAD errors", "", None),
    ("tags_first_100_ms", "tag list first page (n=100), 100 tags", "ms", None),
    ("tags_first_many_ms", "tag list first page (n=100), many tags", "ms",
     None),
    ("tags_walk_s", "tag list full walk (n=100)", "s", None),
    ("tags_walk_pages", "tag list walk: pages", "", None),
    ("tags_walk_items", "tag list walk: tags", "", None),
    ("catalog_first_small_ms", "catalog first page (n=100), 100 repositories", "ms",
     None),
    ("catalog_first_many_ms", "catalog first page (n=100), many repositories",
     "ms", None),
    ("catalog_walk_s", "catalog full walk (n=100)", "s", None),
    ("catalog_walk_pages", "catalog walk: pages", "", None),
    ("catalog_walk_items", "catalog walk: repositories", "", None),
    ("skopeo_push_s", "skopeo push, 20 layers", "s", None),
    ("skopeo_pull_s", "skopeo pull, 20 layers", "s", None),
    ("skopeo_push16_s", "16 concurrent skopeo pushes", "s", None),
    ("rss_idle_kib", "RSS idle", "KiB", ("floor", "rss_idle_kib")),
    ("rss_peak_requests_kib", "RSS peak, manifest/HEAD load", "KiB", None),
    ("rss_peak_transfer_kib", "RSS peak, BLOB transfers", "KiB", None),
]
# what the reference column names, by its target
REF_LABEL = {"nginx": "(nginx)", "machine": "(disk)",
             "floor": "(its libraries alone)"}
MACHINE = [
    ("sha256_8k_MBps", "SHA-256 (openssl speed -evp, 8 KiB)", "MB/s"),
    ("disk_write_sync_MBps", "synced write of a new file, dd conv=fdatasync, between the pushes", "MB/s"),
    ("cache_read_MBps", "page-cache read, dd", "MB/s"),
]


def main():
    raw, out, mode, reps, blob_mib, count = sys.argv[1:7]
    size = ("%d GiB" % (int(blob_mib) // 1024) if int(blob_mib) % 1024 == 0
            else "%s MiB" % blob_mib)
    vals = {}
    with open(raw) as f:
        for line in f:
            fig, tgt, v = line.rstrip("\n").split("\t")
            vals.setdefault((fig, tgt), []).append(float(v))
    med = {k: statistics.median(v) for k, v in vals.items()}

    def m(fig, tgt):
        return med.get((fig, tgt))

    def ratio(fig):
        b, d = m(fig, "berth"), m(fig, "distribution")
        return b / d if b is not None and d else None

    # targets: (description, met?) per figure
    checks = {}

    def check(fig, desc, ok):
        checks[fig] = (desc, ok)

    disk = m("disk_write_sync_MBps", "machine")
    for fig in ("push_mono_MBps", "push_chunked_MBps"):
        r, b = ratio(fig), m(fig, "berth")
        if r is not None and disk:
            check(fig, ">= 1.5x Distribution, >= 90% of synced write",
                  r >= 1.5 and b >= 0.9 * disk)
    r, b, ng = ratio("pull_MBps"), m("pull_MBps", "berth"), m("pull_MBps", "nginx")
    if r is not None and ng:
        check("pull_MBps", ">= 1.0x Distribution, >= 90% of nginx",
              r >= 1.0 and b >= 0.9 * ng)
    for w in ("manifest_get", "blob_head"):
        r = ratio(w + "_rps")
        if r is not None:
            check(w + "_rps", ">= 5x Distribution", r >= 5)
        r = ratio(w + "_p99_ms")
        if r is not None:
            check(w + "_p99_ms", "<= 1/5 of Distribution", r <= 0.2)
        e = m(w + "_errors", "berth")
        if e is not None:
            check(w + "_errors", "0", e == 0)
    r = ratio("rss_idle_kib")
    if r is not None:
        check("rss_idle_kib", "<= 1/4 of Distribution", r <= 0.25)
    idle = m("rss_idle_kib", "berth")
    for fig in ("rss_peak_transfer_kib",):
        b = m(fig, "berth")
        if b is not None and idle:
            check(fig, "flat: <= idle + 16 MiB", b <= idle + 16384)
    a, z = m("tags_first_100_ms", "berth"), m("tags_first_many_ms", "berth")
    if a and z is not None:
        check("tags_first_many_ms", "<= 2x the 100-tag first page",
              z <= 2 * a)
    a, z = (m("catalog_first_small_ms", "berth"),
            m("catalog_first_many_ms", "berth"))
    if a and z is not None:
        check("catalog_first_many_ms", "<= 2x the 100-repository first page",
              z <= 2 * a)

    def fmt(v):
        if v is None:
            return "-"
        if abs(v) >= 100:
            return "%.0f" % v
        if abs(v) >= 10:
            return "%.1f" % v
        return "%.3g" % v

    lines = []
    lines.append("| figure | unit | Berth | Distribution | Berth/Dist. "
                 "| reference | target | met |")
    lines.append("|---|---|---|---|---|---|---|---|")
    results = {"mode": mode, "repetitions": int(reps),
               "blob_bytes": int(blob_mib) << 20, "list_count": int(count),
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "host": {"cpus": __import__("os").cpu_count(),
                        "kernel": platform.release()},
               "figures": {}, "machine": {}}
    for fig, label, unit, ref in FIGURES:
        b, d, r = m(fig, "berth"), m(fig, "distribution"), ratio(fig)
        if b is None and d is None:
            continue
        label = label.replace("BLOB", size).replace("many", count)
        refv = m(ref[1], ref[0]) if ref else None
        refs = ("%s %s" % (fmt(refv), REF_LABEL[ref[0]])
                if refv is not None else "")
        desc, ok = checks.get(fig, ("", None))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, unit, fmt(b), fmt(d), fmt(r) if r is not None else "-",
            refs, desc, {True: "yes", False: "**no**", None: ""}[ok]))
        results["figures"][fig] = {
            "label": label, "unit": unit, "berth": b, "distribution": d,
            "ratio": r, "berth_all": vals.get((fig, "berth")),
            "distribution_all": vals.get((fig, "distribution")),
            "reference": refv, "target": desc or None, "met": ok}
        if ref and ref[0] == "nginx":
            results["figures"][fig]["nginx"] = refv
        if ref and ref[0] == "floor":
            results["figures"][fig]["libraries_alone"] = refv
    lines.append("")
    lines.append("| machine | unit | median |")
    lines.append("|---|---|---|")
    for fig, label, unit in MACHINE:
        v = m(fig, "machine")
        lines.append("| %s | %s | %s |" % (label, unit, fmt(v)))
        results["machine"][fig] = {"label": label, "unit": unit, "value": v,
                                   "all": vals.get((fig, "machine"))}
    secs = m("bench_seconds", "run")
    results["seconds"] = secs
    print("\n".join(lines))
    print("\n%s run, %s repetition(s), medians; %.0f s" % (mode, reps,
                                                         secs or 0))
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print("results: %s" % out)


if __name__ == "__main__":
    main()
