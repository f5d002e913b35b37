#!/usr/bin/env bash
# tests/emulators/swift.sh - an S3 endpoint for tests: OpenStack Swift
# (Debian packages) as a one-node "SAIO" with the s3api and tempauth
# middlewares, plus memcached (tempauth keeps its tokens there), all on
# loopback.  Swift checks SigV4 signatures, enforces the 5 MiB minimum part
# size and returns AWS-style multipart ETags, so it is a realistic target.
#
# Source it and call:
#   swift_start [DIR]   install missing packages, start everything under DIR
#                       (default: a new temporary directory), wait until the
#                       proxy answers, create the bucket; sets and exports
#                       S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY
#                       S3_BUCKET SWIFT_DIR
#   swift_stop          stop the processes it started (by PID) and remove DIR
#                       if swift_start created it
# Or run it:
#   tests/emulators/swift.sh start [DIR]   prints "export VAR=..." lines
#   tests/emulators/swift.sh stop DIR
#
# Ports: SWIFT_PORT (proxy, default 8080 if free) and the back ends and
# memcached on free ports chosen at start (they go into the rings), so
# several instances (parallel test runs) never share a back end.

swift_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
if [ -z "${SWIFT_PORT:-}" ]; then
	SWIFT_PORT=8080
	(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && SWIFT_PORT=$(swift_free_port)
fi
S3_BUCKET=${S3_BUCKET:-registry}
S3_ACCESS_KEY='test:tester'
S3_SECRET_KEY='testing'
S3_REGION=us-east-1
SWIFT_DIR=
swift_own_dir=

swift_install() {
	command -v swift-proxy-server >/dev/null && command -v memcached >/dev/null &&
		command -v swift-ring-builder >/dev/null && return 0
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		swift swift-proxy swift-object swift-container swift-account memcached \
		>/dev/null 2>&1 || { echo "swift.sh: apt-get install failed" >&2; return 1; }
}

swift_write_configs() {
	local S=$1 t n p
	SWIFT_ACCOUNT_PORT=$(swift_free_port); SWIFT_CONTAINER_PORT=$(swift_free_port)
	SWIFT_OBJECT_PORT=$(swift_free_port); SWIFT_MEMCACHED_PORT=$(swift_free_port)
	local rings="account:$SWIFT_ACCOUNT_PORT container:$SWIFT_CONTAINER_PORT object:$SWIFT_OBJECT_PORT"
	mkdir -p "$S/etc" "$S/node/sdb1" "$S/cache" "$S/run" "$S/log"
	printf '[swift-hash]\nswift_hash_path_suffix = emu-suffix\nswift_hash_path_prefix = emu-prefix\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n[swift-constraints]\n' \
		> "$S/etc/swift.conf"
	for t in $rings; do
		n=${t%%:*}; p=${t##*:}
		cat > "$S/etc/$n-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $p
workers = 0
user = root
swift_dir = $S/etc
devices = $S/node
mount_check = false
disable_fallocate = true
recon_cache_path = $S/cache
[pipeline:main]
pipeline = $n-server
[app:$n-server]
use = egg:swift#$n
CONF
	done
	{
		cat <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
user = root
swift_dir = $S/etc
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit s3api tempauth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$SWIFT_MEMCACHED_PORT
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
CONF
		for f in catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk \
			tempurl ratelimit copy container-quotas account-quotas slo dlo symlink; do
			printf '[filter:%s]\nuse = egg:swift#%s\n' "$f" "${f//-/_}"
		done
	} > "$S/etc/proxy-server.conf"
	(
		cd "$S/etc" || exit 1
		for t in $rings; do
			n=${t%%:*}; p=${t##*:}
			swift-ring-builder $n.builder create 8 1 1 &&
			swift-ring-builder $n.builder add r1z1-127.0.0.1:$p/sdb1 100 &&
			swift-ring-builder $n.builder rebalance
		done
	) > "$S/log/rings.log" 2>&1 || {
		echo "swift.sh: ring building failed (see $S/log/rings.log)" >&2
		return 1
	}
}

# s3_curl ARGS...: a SigV4-signed curl against the emulator.  The access key
# contains ':' so the credentials go through a netrc file.
s3_curl() {
	curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" --netrc-file "$SWIFT_DIR/s3.netrc" "$@"
}

swift_start() {
	swift_install || return 1
	if [ -n "${1:-}" ]; then
		SWIFT_DIR=$1; mkdir -p "$SWIFT_DIR"
	else
		SWIFT_DIR=$(mktemp -d /tmp/berth-swift.XXXXXX); swift_own_dir=1
	fi
	local S=$SWIFT_DIR n i
	swift_write_configs "$S" || return 1
	memcached -l 127.0.0.1 -p "$SWIFT_MEMCACHED_PORT" -U 0 -u root -m 64 > "$S/log/memcached.log" 2>&1 &
	echo $! > "$S/run/memcached.pid"
	for n in account container object proxy; do
		swift-$n-server "$S/etc/$n-server.conf" -v > "$S/log/$n.log" 2>&1 &
		echo $! > "$S/run/$n.pid"
	done
	for ((i = 0; i < 300; i++)); do # 30 s at most; usually about 6 s
		curl -s "http://127.0.0.1:$SWIFT_PORT/healthcheck" 2>/dev/null | grep -q OK && break
		sleep 0.1
	done
	if ((i == 300)); then
		echo "swift.sh: proxy did not come up (logs in $S/log)" >&2
		swift_stop; return 1
	fi
	printf 'machine 127.0.0.1 login %s password %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$S/s3.netrc"
	chmod 600 "$S/s3.netrc"
	S3_ENDPOINT=http://127.0.0.1:$SWIFT_PORT
	export S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET SWIFT_DIR
	# The backends may need a moment more than the proxy: retry the bucket.
	local code
	for ((i = 0; i < 50; i++)); do
		code=$(s3_curl -o /dev/null -w '%{http_code}' -X PUT \
			-H "x-amz-content-sha256: $(printf '' | sha256sum | cut -c1-64)" \
			"$S3_ENDPOINT/$S3_BUCKET")
		# 409: it exists already (a reused DIR)
		case $code in 200|409) return 0 ;; esac
		sleep 0.2
	done
	echo "swift.sh: cannot create bucket $S3_BUCKET (HTTP $code)" >&2
	swift_stop; return 1
}

swift_stop() {
	[ -n "$SWIFT_DIR" ] || return 0
	local f pid
	for f in "$SWIFT_DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null
	done
	for f in "$SWIFT_DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		rm -f "$f"
	done
	[ -n "$swift_own_dir" ] && rm -rf "$SWIFT_DIR"
	SWIFT_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	start)
		swift_start "${2:-}" >&2 || exit 1
		for v in S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET SWIFT_DIR; do
			printf 'export %s=%q\n' "$v" "${!v}"
		done ;;
	stop)
		[ -n "${2:-}" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
		SWIFT_DIR=$2; swift_stop ;;
	*)
		echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
	esac
fi
