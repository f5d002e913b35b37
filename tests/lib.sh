# tests/lib.sh - shared helpers for the shell test suites (API, interop).
# Source it; then call start_berth, the check helpers, and finish.
#
#   BUILD         build directory (default: build)
#   berth_url     http://127.0.0.1:<port> of the server start_berth started
#   berth_root    its storage root directory
#   T             a scratch directory removed at exit
#   BERTH_SERVER_CMD  optional: another registry binary to start instead of
#                 build/bin/berth (same `serve CONFIG` command line), e.g.
#                 /usr/bin/docker-registry to check a suite against the
#                 reference implementation

BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d /tmp/berth-test.XXXXXX)
passed=0
failed=0
berth_pid=
suite=$(basename "$0")

extra_pids=()
cleanup_lib() {
	[ -n "$berth_pid" ] && kill "$berth_pid" 2>/dev/null && wait "$berth_pid" 2>/dev/null
	local p
	for p in "${extra_pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup_lib EXIT

pass() { passed=$((passed + 1)); echo "ok   $suite: $1"; }
fail() {
	failed=$((failed + 1)); echo "FAIL $suite: $1"
	[ -n "${2:-}" ] && printf '     %s\n' "$2"
	return 0
}

# free_port: print a TCP port nothing listens on.
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# write_config FILE ROOT PORT [extra yaml appended at top level]
write_config() {
	local file=$1 root=$2 port=$3
	cat > "$file" <<YAML
version: 0.1
log:
  level: ${BERTH_LOG_LEVEL:-warn}
storage:
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
	[ -n "${4:-}" ] && printf '%s\n' "$4" >> "$file"
	return 0
}

# start_berth [CONFIG]: start build/bin/berth; without CONFIG, a fresh
# filesystem root under $T with delete enabled.  Waits until /v2/ answers.
start_berth() {
	local cfg=${1:-}
	if [ -z "$cfg" ]; then
		berth_port=$(free_port)
		berth_root=$T/root-$berth_port
		mkdir -p "$berth_root"
		cfg=$T/config-$berth_port.yml
		write_config "$cfg" "$berth_root" "$berth_port"
	else
		berth_port=$(sed -n 's/^ *addr: *[0-9.]*:\([0-9]*\).*/\1/p' "$cfg" | head -1)
	fi
	berth_config=$cfg
	berth_url=http://127.0.0.1:$berth_port
	BERTH_DRIVER_DIR=$BUILD/lib/berth "${BERTH_SERVER_CMD:-$BUILD/bin/berth}" serve "$cfg" \
		>> "$T/berth-$berth_port.log" 2>&1 &
	berth_pid=$!
	local i
	for i in $(seq 1 100); do
		if curl -s -o /dev/null "$berth_url/v2/"; then return 0; fi
		if ! kill -0 "$berth_pid" 2>/dev/null; then break; fi
		sleep 0.05
	done
	echo "berth did not start; log:" >&2
	cat "$T/berth-$berth_port.log" >&2
	return 1
}

# stop_berth [SIGNAL]: stop the server started by start_berth.
stop_berth() {
	[ -n "$berth_pid" ] || return 0
	kill "-${1:-TERM}" "$berth_pid" 2>/dev/null
	wait "$berth_pid" 2>/dev/null
	berth_pid=
}

# start_extra_berth CONFIG: start one more server (e.g. on the same root
# as the first) and leave the one start_berth started as it is; sets
# $extra_url and $extra_pid.  Stopped by stop_extra_berth or at exit.
start_extra_berth() {
	local pid=$berth_pid port=$berth_port url=$berth_url cfg=$berth_config rc=0
	berth_pid=
	start_berth "$1" || rc=1
	extra_pid=$berth_pid extra_url=$berth_url
	[ -n "$extra_pid" ] && extra_pids+=("$extra_pid")
	berth_pid=$pid berth_port=$port berth_url=$url berth_config=$cfg
	return $rc
}

# stop_extra_berth: stop the server start_extra_berth started last.
stop_extra_berth() {
	[ -n "${extra_pid:-}" ] || return 0
	kill "$extra_pid" 2>/dev/null
	wait "$extra_pid" 2>/dev/null
	extra_pid=
}

# http METHOD URL [curl args...]: request; sets $status, $body (file
# $T/body) and $headers (file $T/headers).
http() {
	local method=$1 url=$2; shift 2
	local -a m=(-X "$method")
	[ "$method" = HEAD ] && m=(-I)
	status=$(curl -s "${m[@]}" -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$url")
	body=$(tr -d '\0' < "$T/body" 2>/dev/null | head -c 65536)
}

# header NAME: value of a response header from the last http call.
header() {
	grep -i "^$1:" "$T/headers" | tail -1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}

# expect_status DESC WANT METHOD URL [curl args...]
expect_status() {
	local desc=$1 want=$2; shift 2
	http "$@"
	if [ "$status" = "$want" ]; then pass "$desc"
	else fail "$desc" "want $want, got $status: $(head -c 300 "$T/body")"; fi
}

# expect_error DESC WANT_STATUS WANT_CODE METHOD URL [curl args...]:
# status and the first OCI error code of the JSON body.
expect_error() {
	local desc=$1 want=$2 code=$3; shift 3
	http "$@"
	local got
	got=$(jq -r '.errors[0].code' < "$T/body" 2>/dev/null)
	if [ "$status" = "$want" ] && [ "$got" = "$code" ]; then pass "$desc"
	else fail "$desc" "want $want $code, got $status $got: $(head -c 300 "$T/body")"; fi
}

# check DESC COMMAND...: pass if COMMAND succeeds.
check() {
	local desc=$1; shift
	if "$@" > "$T/check.out" 2>&1; then pass "$desc"
	else fail "$desc" "$(tail -5 "$T/check.out")"; fi
}

# sha256_of FILE: "sha256:<hex>"
sha256_of() { echo "sha256:$(sha256sum "$1" | cut -c1-64)"; }

# push_blob REPO FILE: monolithic upload; prints the digest.
push_blob() {
	local repo=$1 file=$2 dg loc
	dg=$(sha256_of "$file")
	loc=$(curl -s -o /dev/null -D - -X POST "$berth_url/v2/$repo/blobs/uploads/" |
		sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p')
	case "$loc" in http*) ;; *) loc=$berth_url$loc ;; esac
	case "$loc" in *\?*) loc="$loc&digest=$dg" ;; *) loc="$loc?digest=$dg" ;; esac
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary "@$file" "$loc"
	echo "$dg"
}

# with_query URL KEY=VALUE: append a query parameter with ? or &.
with_query() {
	case "$1" in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac
}

# upload_url: the absolute Location of the last http call.
upload_url() {
	local loc
	loc=$(header Location)
	case "$loc" in http*) echo "$loc" ;; *) echo "$berth_url$loc" ;; esac
}

# finish: print the closing line and exit non-zero on failure.
finish() {
	echo "$suite: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
