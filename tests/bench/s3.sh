#!/usr/bin/env bash
# tests/bench/s3.sh [--quick] [BUILD] - Berth serving from the S3 driver.
#
# Starts OpenStack Swift with s3api (tests/emulators/swift.sh) on free
# loopback ports and two Berth servers on the same bucket and root, both
# with storage-s3.so at its default chunksize (10 MiB): one with redirects
# (pulls answer 307 to a presigned URL) and one with
# storage.redirect.disable: true (the bytes go through Berth).  Measures,
# median of the repetitions:
#   - push of a BLOB_MIB MiB random blob through Berth to S3, monolithic
#     (POST, then PUT ?digest= streamed with curl -T) and in PATCH_MIB MiB
#     PATCHes with Content-Range, MB/s;
#   - pull of that blob through Berth and via the presigned redirect
#     (curl -L), and straight from S3 with a signed GET as the reference;
#   - the S3 requests of each push and pull, from Swift's proxy log (each
#     client request is logged once, with method and path), named by S3
#     operation and compared with what the multipart protocol needs
#     (s3report.py: PASS when a push stays within the minimum + one
#     request per chunksize + a listed constant overhead, MISS otherwise).
# Prints a table and writes BUILD/bench/s3.json.
#
#   --quick   a 64 MiB blob, one repetition (256 MiB and three otherwise)
#   BENCH_KEEP=1  keep the scratch directory (Swift's logs, raw figures)
set -euo pipefail

QUICK=0
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/bench
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-s3bench.XXXXXX")
RAW=$W/raw.tsv
: > "$RAW"

if [ $QUICK = 1 ]; then REPS=1 BLOB_MIB=64; else REPS=3 BLOB_MIB=256; fi
PATCH_MIB=16
# The driver's defaults (drivers/s3/README.md): the servers set none of them.
CHUNKSIZE=$((10 << 20)) COPYCHUNK=$((32 << 20)) COPYTHRESHOLD=$((32 << 20))
BERTH_BIN=$BUILD/bin/berth
[ -x "$BERTH_BIN" ] || { echo "s3bench: $BERTH_BIN missing (make)" >&2; exit 1; }
[ -f "$BUILD/lib/berth/storage-s3.so" ] || { echo "s3bench: storage-s3.so missing (make)" >&2; exit 1; }

# shellcheck source=../emulators/swift.sh
source "$HERE/../emulators/swift.sh"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	swift_stop || true
	if [ -n "${BENCH_KEEP:-}" ]; then echo "s3bench: kept $W" >&2
	else rm -rf "$W"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

say() { printf '%s s3bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
rec() { printf '%s\t%s\n' "$1" "$2" >> "$RAW"; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
rate() { awk -v b="$1" -v a="$2" -v z="$3" 'BEGIN { printf "%.1f", b / (z - a) / 1e6 }'; }

# ---- Swift, and the window of its proxy log a measurement covers ----
SWIFT_PORT=$(free_port)
say "starting Swift (s3api)"
swift_start "$W/swift" || exit 1
PROXY_LOG=$SWIFT_DIR/log/proxy.log
mark() { wc -l < "$PROXY_LOG"; }
# window NAME FROM: the proxy log lines since line FROM into $W/NAME.log.
# Swift logs a request when it has answered it, and Berth answers its
# client after its last S3 request, so a short pause is enough.
window() {
	sleep 0.3
	tail -n +"$(($2 + 1))" "$PROXY_LOG" > "$W/$1.log"
}

# ---- two Berth servers on the same bucket ----
declare -A URL
start_berth() { # NAME REDIRECT_DISABLE
	local port cfg=$W/$1.yml
	port=$(free_port)
	cat > "$cfg" <<YAML
version: 0.1
log:
  level: warn
storage:
  s3:
    accesskey: "$S3_ACCESS_KEY"
    secretkey: "$S3_SECRET_KEY"
    region: $S3_REGION
    regionendpoint: $S3_ENDPOINT
    forcepathstyle: true
    bucket: $S3_BUCKET
    rootdirectory: /bench
  delete:
    enabled: true
  redirect:
    disable: $2
http:
  addr: 127.0.0.1:$port
YAML
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BERTH_BIN" serve "$cfg" > "$W/$1.log" 2>&1 &
	pids+=($!)
	URL[$1]=http://127.0.0.1:$port
	local i
	for i in $(seq 1 200); do
		curl -s -o /dev/null "${URL[$1]}/v2/" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "s3bench: berth ($1) did not come up: $(tail -3 "$W/$1.log")" >&2
	return 1
}
start_berth redirect false
start_berth proxied true
say "berth ${URL[redirect]} (redirects), ${URL[proxied]} (redirect disabled), Swift $S3_ENDPOINT; $REPS repetition(s) of $BLOB_MIB MiB"

# ---- clients ----
location() {
	local loc
	loc=$(sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p' "$W/hdr" | tail -1)
	case "$loc" in http*) echo "$loc" ;; *) echo "$1$loc" ;; esac
}
with_q() { case "$1" in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac; }
upload_start() { # URL REPO: prints the upload's Location
	local code
	code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -X POST "$1/v2/$2/blobs/uploads/")
	[ "$code" = 202 ] || { echo "s3bench: POST $2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
	location "$1"
}
push_mono() { # URL REPO FILE DIGEST
	local loc code
	loc=$(upload_start "$1" "$2")
	code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -H 'Expect:' \
		-H 'Content-Type: application/octet-stream' -T "$3" "$(with_q "$loc" "digest=$4")")
	[ "$code" = 201 ] || { echo "s3bench: PUT $2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
}
push_chunked() { # URL REPO DIGEST; the chunks are $W/chunks/c*
	local loc code c n off=0
	loc=$(upload_start "$1" "$2")
	for c in "$W"/chunks/c*; do
		n=$(stat -c %s "$c")
		code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -X PATCH -H 'Expect:' \
			-H 'Content-Type: application/octet-stream' \
			-H "Content-Range: $off-$((off + n - 1))" -T "$c" "$loc")
		[ "$code" = 202 ] || { echo "s3bench: PATCH $2 at $off: $code $(head -c 300 "$W/resp")" >&2; return 1; }
		loc=$(location "$1")
		off=$((off + n))
	done
	code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -X PUT \
		-H 'Content-Type: application/octet-stream' --data-binary '' "$(with_q "$loc" "digest=$3")")
	[ "$code" = 201 ] || { echo "s3bench: final PUT $2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
}
# pull URL BYTES [CURL ARGS]: GET to /dev/null; prints seconds, fails on a
# short body or a status other than 200 at the end of the redirects.
pull() {
	local u=$1 b=$2 out
	shift 2
	out=$(curl -s "$@" -o /dev/null -w '%{http_code} %{size_download} %{time_total} %{num_redirects}' "$u")
	set -- $out "$b"
	[ "$1" = 200 ] && [ "$2" = "$5" ] || { echo "s3bench: pull $u: status $1, $2 of $5 bytes" >&2; return 1; }
	echo "$3 $4"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
variant() { # TAG: new first bytes, so each push is of new content; sets $dg
	printf '%-16s' "$1" | dd of="$W/blob" conv=notrunc status=none
	dg=sha256:$(openssl dgst -sha256 -r "$W/blob" | cut -c1-64)
}
EMPTY_SHA=$(printf '' | sha256sum | cut -c1-64)

# ---- run ----
bytes=$((BLOB_MIB << 20))
say "making a $BLOB_MIB MiB random blob"
head -c "$bytes" /dev/urandom > "$W/blob"
mkdir -p "$W/chunks"
T0=$(now)
for r in $(seq 1 "$REPS"); do
	say "repetition $r: monolithic push"
	variant "mono-$r"
	m=$(mark); t0=$(now)
	push_mono "${URL[redirect]}" "bench/mono$r" "$W/blob" "$dg"
	t1=$(now); window "push_mono_$r" "$m"
	rec push_mono_MBps "$(rate "$bytes" "$t0" "$t1")"

	say "repetition $r: chunked push ($PATCH_MIB MiB PATCHes)"
	variant "chunked-$r"
	rm -f "$W"/chunks/c*
	(cd "$W/chunks" && split -b "${PATCH_MIB}M" -d -a 5 "$W/blob" c)
	m=$(mark); t0=$(now)
	push_chunked "${URL[redirect]}" "bench/chunked$r" "$dg"
	t1=$(now); window "push_chunked_$r" "$m"
	rec push_chunked_MBps "$(rate "$bytes" "$t0" "$t1")"

	blob=/v2/bench/chunked$r/blobs/$dg
	if [ "$r" = 1 ]; then # correctness, once: both paths give the bytes back
		code=$(curl -s -o /dev/null -w '%{http_code}' "${URL[redirect]}$blob")
		[ "$code" = 307 ] || { echo "s3bench: blob GET answered $code, not a 307 redirect" >&2; exit 1; }
		for u in "${URL[proxied]}$blob" "${URL[redirect]}$blob"; do
			s=sha256:$(curl -sL "$u" | openssl dgst -sha256 -r | cut -c1-64)
			[ "$s" = "$dg" ] || { echo "s3bench: $u returned $s" >&2; exit 1; }
		done
	fi
	say "repetition $r: pulls"
	m=$(mark)
	out=$(pull "${URL[proxied]}$blob" "$bytes"); read -r s n <<< "$out"
	window "pull_proxied_$r" "$m"
	[ "$n" = 0 ] || { echo "s3bench: redirect-disabled server redirected" >&2; exit 1; }
	rec pull_proxied_MBps "$(mbps "$bytes" "$s")"
	m=$(mark)
	out=$(pull "${URL[redirect]}$blob" "$bytes" -L); read -r s n <<< "$out"
	window "pull_redirect_$r" "$m"
	[ "$n" = 1 ] || { echo "s3bench: pull followed $n redirects, not 1" >&2; exit 1; }
	rec pull_redirect_MBps "$(mbps "$bytes" "$s")"
	# reference: the same object with a signed GET straight from Swift
	hex=${dg#sha256:}
	out=$(pull "$S3_ENDPOINT/$S3_BUCKET/bench/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data" \
		"$bytes" --aws-sigv4 "aws:amz:$S3_REGION:s3" --netrc-file "$SWIFT_DIR/s3.netrc" \
		-H "x-amz-content-sha256: $EMPTY_SHA")
	read -r s n <<< "$out"
	rec pull_direct_MBps "$(mbps "$bytes" "$s")"
done
say "measured in $(awk -v a="$T0" -v z="$(now)" 'BEGIN { printf "%.0f", z - a }') s"

python3 "$HERE/s3report.py" "$W" "$OUT/s3.json" \
	"$([ $QUICK = 1 ] && echo quick || echo full)" "$REPS" "$BLOB_MIB" \
	"$((CHUNKSIZE >> 20))" "$PATCH_MIB" "$CHUNKSIZE" "$COPYCHUNK" "$COPYTHRESHOLD"
