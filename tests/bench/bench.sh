#!/usr/bin/env bash
# tests/bench/bench.sh [--quick] [BUILD] - Berth against CNCF Distribution.
#
# Starts Berth (BUILD/bin/berth) and Distribution (/usr/bin/docker-registry)
# on free loopback ports, each with filesystem storage in its own scratch
# directory, and runs the same workloads against both, one registry after
# the other inside each repetition (so background load on the machine hits
# both alike).  nginx serves the 1 GiB blob as the reference for pulls; the
# machine's own limits (SHA-256, synced disk write, page-cache read) are
# measured in the same run.
#
# Workloads live in one file each next to this script (machine.sh,
# blobs.sh, requests.sh, lists.sh, skopeo.sh); each records figures with
# `rec FIGURE TARGET VALUE`.  report.py takes the median of the
# repetitions, prints the table and writes BUILD/bench/results.json.
#
#   --quick   smaller sizes and one repetition (make bench-quick)
#   BENCH_KEEP=1  keep the scratch directory
#   BERTH_SERVER_CMD  another binary in Berth's place (as in tests/lib.sh)
set -euo pipefail

QUICK=0
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/bench
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")
RAW=$OUT/raw.tsv
: > "$RAW"

if [ $QUICK = 1 ]; then
	REPS=1 BLOB_MIB=256 LOAD_SECS=2 LIST_COUNT=2000
	SK_LAYER=$((256 << 10)) SK_CONC_LAYER=$((32 << 10)) SPEED_SECS=1
else
	REPS=3 BLOB_MIB=1024 LOAD_SECS=5 LIST_COUNT=10000
	SK_LAYER=$((2 << 20)) SK_CONC_LAYER=$((256 << 10)) SPEED_SECS=2
fi
CHUNK_MIB=16
CONNS=32
LOAD=$BUILD/bin/berth-load
TARGETS=(berth distribution)

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $W" >&2
	else rm -rf "$W"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

say() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# rec FIGURE TARGET VALUE: one measurement of one repetition.
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# now: seconds since the epoch with nanoseconds.
now() { date +%s.%N; }
# rate BYTES T0 T1: MB/s (10^6 bytes per second).
rate() { awk -v b="$1" -v a="$2" -v z="$3" 'BEGIN { printf "%.1f", b / (z - a) / 1e6 }'; }
elapsed() { awk -v a="$1" -v z="$2" 'BEGIN { printf "%.4f", z - a }'; }

# Memory of a server process, KiB: current, and the peak since the last
# hwm_reset (the kernel's high-water mark, reset via clear_refs).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
hwm_reset() { echo 5 > "/proc/$1/clear_refs"; }

wait_http() {
	local i
	for i in $(seq 1 200); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.05
	done
	echo "bench: $1 did not come up" >&2
	return 1
}

# ---- servers ----
declare -A URL PID ROOT
start_berth() {
	local port root cfg
	port=$(free_port)
	root=$W/berth-root
	cfg=$W/berth.yml
	mkdir -p "$root"
	cat > "$cfg" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BERTH_BIN" serve "$cfg" \
		> "$W/berth.log" 2>&1 &
	pids+=($!)
	PID[berth]=$! URL[berth]=http://127.0.0.1:$port ROOT[berth]=$root
	wait_http "${URL[berth]}/v2/"
}

# Distribution as its documentation recommends it (in-memory blob
# descriptor cache), with logging as quiet as Berth's.
start_distribution() {
	local port root cfg
	port=$(free_port)
	root=$W/distribution-root
	cfg=$W/distribution.yml
	mkdir -p "$root"
	cat > "$cfg" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
	/usr/bin/docker-registry serve "$cfg" > "$W/distribution.log" 2>&1 &
	pids+=($!)
	PID[distribution]=$! URL[distribution]=http://127.0.0.1:$port
	ROOT[distribution]=$root
	wait_http "${URL[distribution]}/v2/"
}

# nginx serving DIR: the reference for blob pulls (sendfile, no registry).
start_nginx() {
	local port dir=$1
	port=$(free_port)
	mkdir -p "$W/nginx"
	cat > "$W/nginx/nginx.conf" <<CONF
user root;
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	server {
		listen 127.0.0.1:$port;
		root $dir;
	}
}
CONF
	nginx -c "$W/nginx/nginx.conf" -g 'daemon off;' &
	pids+=($!)
	PID[nginx]=$! URL[nginx]=http://127.0.0.1:$port
	wait_http "${URL[nginx]}/"
}

# ---- run ----
BERTH_BIN=${BERTH_SERVER_CMD:-$BUILD/bin/berth}
[ -x "$BERTH_BIN" ] || { echo "bench: $BERTH_BIN missing (make)" >&2; exit 1; }
[ -x "$LOAD" ] || { echo "bench: $LOAD missing (make $LOAD)" >&2; exit 1; }
[ -x "$BUILD/bin/berth-rss-floor" ] || { echo "bench: $BUILD/bin/berth-rss-floor missing (make bench)" >&2; exit 1; }
T_START=$(now)
start_berth
start_distribution
# The server's libraries loaded by a program without code: the floor
# under Berth's idle RSS.
"$BUILD/bin/berth-rss-floor" &
pids+=($!)
PID[floor]=$!
sleep 1
for t in "${TARGETS[@]}" floor; do
	rec rss_idle_kib "$t" "$(rss_kib "${PID[$t]}")"
done
say "berth ${URL[berth]} (pid ${PID[berth]}), distribution ${URL[distribution]} (pid ${PID[distribution]}); $REPS repetition(s)"

# BENCH_WORKLOADS narrows a run (lists needs requests), BENCH_S3=0 skips
# the S3 part: for checking one change; `make bench` runs everything.
for wl in machine blobs requests lists skopeo; do
	# shellcheck source=/dev/null
	source "$HERE/$wl.sh" # workloads share helpers
done
for wl in ${BENCH_WORKLOADS:-machine blobs requests lists skopeo}; do
	say "workload $wl"
	"wl_$wl"
done

rec bench_seconds run "$(elapsed "$T_START" "$(now)")"
python3 "$HERE/report.py" "$RAW" "$OUT/results.json" \
	"$([ $QUICK = 1 ] && echo quick || echo full)" "$REPS" "$BLOB_MIB" "$LIST_COUNT"

# ---- Berth on S3 (Swift with s3api): own table and BUILD/bench/s3.json (s3.sh) ----
[ "${BENCH_S3:-1}" = 0 ] || "$HERE/s3.sh" $([ $QUICK = 1 ] && echo --quick) "$BUILD"
