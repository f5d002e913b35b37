#!/usr/bin/env bash
# test_abuse.sh - misbehaving clients must not take the registry away from
# well-behaved ones.  During each abuse a probe fetches /v2/ and a blob
# and must be answered within BOUND seconds; afterwards the server must
# still be alive.  Abusers connect from other loopback addresses
# (127.0.0.2, ...) so the per-address limit applies to them and not to
# the probe.  Abuses: many idle connections (connection and per-address
# limits), slow and stalled headers (header timeout), huge headers and URLs,
# an endless chunked upload body, oversized manifests, and thousands of
# abandoned uploads, purged by storage.maintenance.uploadpurging (and kept
# with dryrun).
source "$(dirname "$0")/../lib.sh"

# A probe's bound: 2 s in a release build.  The sanitizers run the
# abuser's hashing and writing 2-4x slower on the same two cores, so
# there the bound is 5 s and the endless body lasts 8 s instead of 4: a
# server the body blocks still misses the bound either way.
BOUND=2 ENDLESS_S=4
[ -n "${BERTH_SANITIZED:-}" ] && BOUND=5 ENDLESS_S=8
# abuse MODE ARGS...: a misbehaving client (tests/api/abuse.py)
abuse() { python3 "$TESTS_DIR/api/abuse.py" "$1" "$berth_port" "${@:2}"; }
PERIP=16
TIMEOUT=3

# http.* limits appended to the http section write_config ends with
limits="  connectionlimit: 256
  timeout: ${TIMEOUT}s
  headertimeout: ${TIMEOUT}s
  maxconnectionsperip: $PERIP"
berth_port=$(free_port)
root=$T/root
mkdir -p "$root"
write_config "$T/abuse.yml" "$root" "$berth_port" "$limits"
start_berth "$T/abuse.yml" || { fail "server starts"; finish; exit 1; }

head -c 100000 /dev/urandom > "$T/blob"
blob_dg=$(push_blob abuse/app "$T/blob")

# probe DESC: /v2/ and the blob, each answered correctly within BOUND
probe() {
	local desc=$1 out
	out=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$BOUND" "$berth_url/v2/")
	if [ "$out" != 200 ]; then
		fail "$desc: /v2/ answered within ${BOUND}s" "got '$out'"
		return
	fi
	out=$(curl -s --max-time "$BOUND" "$berth_url/v2/abuse/app/blobs/$blob_dg" | sha256sum | cut -c1-64)
	if [ "sha256:$out" != "$blob_dg" ]; then
		fail "$desc: blob GET answered within ${BOUND}s" "digest '$out'"
		return
	fi
	pass "$desc: /v2/ and a blob GET answered within ${BOUND}s"
}

alive() {
	if kill -0 "$berth_pid" 2>/dev/null; then probe "$1 (after)"
	else fail "$1: server alive afterwards" "$(tail -5 "$T"/berth-*.log)"; fi
}

# kv FILE KEY: a value from an abuser's result line
kv() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$1"; }

# ---- many idle connections: silent ones, and ones stopped mid-request
abuse idle 127.0.0.2 300 4 > "$T/idle1" &
a=$!
sleep 1.5
probe "300 silent connections"
wait $a
abuse idle 127.0.0.3 300 4 'GET /v2/ HTTP/1.1\r\nHost: x\r\n' > "$T/idle2" &
a=$!
sleep 1.5
probe "300 connections idle mid-request"
wait $a
open2=$(( $(kv "$T/idle2" opened) - $(kv "$T/idle2" closed_after_1s) ))
if [ "$open2" -le "$PERIP" ]; then
	pass "one address holds at most http.maxconnectionsperip ($PERIP) connections (held $open2)"
else
	fail "one address holds at most $PERIP connections" "$(cat "$T/idle2")"
fi
closed1=$(kv "$T/idle1" closed_at_end)
if [ "${closed1:-0}" -eq 300 ]; then
	pass "silent connections closed by http.headertimeout (${TIMEOUT}s)"
else
	fail "silent connections closed by http.headertimeout" "$(cat "$T/idle1")"
fi
alive "idle connections"

# ---- slow headers: one byte every 0.5 s, and a request that stalls
abuse slow 127.0.0.4 100 5 > "$T/slow" &
a=$!
abuse stall 127.0.0.5 > "$T/stall" &
s=$!
sleep 2
probe "100 slowloris connections"
wait $a $s
held=$(kv "$T/slow" served_until_end)
if [ "${held:-999}" -le "$PERIP" ]; then
	pass "slowloris connections bounded by the per-address limit (held $held)"
else
	fail "slowloris connections bounded" "$(cat "$T/slow")"
fi
after=$(kv "$T/stall" closed_after)
if awk -v a="$after" -v t="$TIMEOUT" 'BEGIN { exit !(a >= t - 0.5 && a <= t + 2) }'; then
	pass "a stalled request is closed after http.headertimeout (${after}s)"
else
	fail "a stalled request is closed after http.headertimeout (${TIMEOUT}s)" "closed after '$after'"
fi
alive "slow headers"

# ---- huge headers, a huge URL, many headers: refused, never a crash
python3 -c 'import sys; sys.stdout.buffer.write(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")' > "$T/big-header"
python3 -c 'import sys; sys.stdout.buffer.write(b"GET /v2/" + b"a/" * (1 << 19) + b"tags/list HTTP/1.1\r\nHost: x\r\n\r\n")' > "$T/big-url"
python3 -c 'import sys; sys.stdout.buffer.write(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(50000)) + b"\r\n")' > "$T/many-headers"
for f in big-header big-url many-headers; do
	abuse raw "$T/$f" > "$T/$f.out" &
	a=$!
	probe "$f being sent"
	wait $a
	st=$(kv "$T/$f.out" status)
	case $st in
	413|414|431|400|closed) pass "$f refused ($st)" ;;
	*) fail "$f refused" "status '$st'" ;;
	esac
done
alive "huge headers"

# ---- an endless chunked upload body (throttled to 20 MB/s for ENDLESS_S)
http POST "$berth_url/v2/abuse/app/blobs/uploads/"
loc=$(header Location)
case $loc in http*) loc=${loc#"$berth_url"} ;; esac
abuse chunked "$loc" "$ENDLESS_S" 20000000 > "$T/chunked" &
a=$!
sleep 1.5
probe "an endless chunked upload body"
wait $a
alive "endless chunked body"

# ---- manifests over 4 MiB: 413 with or without Content-Length
python3 -c 'import sys; sys.stdout.write("{\"schemaVersion\":2,\"x\":\"" + "a" * (4 << 20) + "\"}")' > "$T/big-manifest"
expect_error "5 MiB manifest with Content-Length is refused" 413 SIZE_INVALID \
	PUT "$berth_url/v2/abuse/app/manifests/big" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$T/big-manifest"
expect_error "5 MiB chunked manifest is cut off at 4 MiB" 413 SIZE_INVALID \
	PUT "$berth_url/v2/abuse/app/manifests/big" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	-H 'Transfer-Encoding: chunked' --data-binary "@$T/big-manifest"
alive "oversized manifests"

# ---- 5,000 abandoned uploads
uploads_dir=$root/docker/registry/v2/repositories/abuse/junk/_uploads
count_uploads() { find "$uploads_dir" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l; }
abuse uploads abuse/junk 5000 4 > "$T/uploads" &
a=$!
sleep 1
probe "5,000 upload POSTs"
wait $a
if [ "$(kv "$T/uploads" accepted)" = 5000 ] && [ "$(count_uploads)" -eq 5000 ]; then
	pass "5,000 uploads started"
else
	fail "5,000 uploads started" "$(cat "$T/uploads"); $(count_uploads) on disk"
fi
alive "5,000 abandoned uploads"
stop_berth

# purging with dryrun: reported, kept
write_config "$T/dry.yml" "$root" "$berth_port" "$limits"
python3 - "$T/dry.yml" true <<'PY'
import sys
p, dry = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("  delete:\n", "  maintenance:\n    uploadpurging:\n      enabled: true\n"
              "      age: 2s\n      interval: 1s\n      dryrun: %s\n  delete:\n" % dry)
open(p, "w").write(s)
PY
sed 's/dryrun: true/dryrun: false/' "$T/dry.yml" > "$T/purge.yml"
BERTH_LOG_LEVEL=info start_berth "$T/dry.yml"
sleep 3.5
if [ "$(count_uploads)" -eq 5000 ]; then
	pass "uploadpurging dryrun keeps the abandoned uploads"
else
	fail "uploadpurging dryrun keeps the abandoned uploads" "$(count_uploads) left"
fi
probe "dry-run purging"
stop_berth
start_berth "$T/purge.yml"
for i in $(seq 1 40); do
	[ "$(count_uploads)" -eq 0 ] && break
	sleep 0.25
done
if [ "$(count_uploads)" -eq 0 ]; then
	pass "uploadpurging (age 2s, interval 1s) removes 5,000 abandoned uploads"
else
	fail "uploadpurging removes abandoned uploads" "$(count_uploads) left"
fi
alive "purging"
expect_status "a new upload after purging" 202 POST "$berth_url/v2/abuse/junk/blobs/uploads/"
finish
