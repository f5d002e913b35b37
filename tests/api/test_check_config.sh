#!/usr/bin/env bash
# berth check-config and berth serve give the same verdict on a
# configuration: each broken one is refused by both with the file, line
# and key of the problem (serve with a non-zero exit before listening),
# check-config names every problem of a file at once, http.addr needs a
# port from 1 to 65535, Distribution keys Berth does not implement are
# refused, and Debian's stock /etc/docker/registry/config.yml
# (tests/fixtures/debian/config.yml) is refused as it is, starts with
# passwords on a loopback address (with a warning), and is refused on a
# public address without TLS.
set -uo pipefail
source "$(dirname "$0")/../lib.sh"

berth() { env BERTH_DRIVER_DIR="$BUILD/lib/berth" "$BUILD/bin/berth" "$@"; }

# check_config_says DESC FILE WANT...: check-config exits 1 and prints
# every WANT (grep -F patterns).
check_config_says() {
	local desc=$1 file=$2; shift 2
	local rc=0 w
	berth check-config "$file" > "$T/cc.out" 2>&1 || rc=$?
	if [ "$rc" != 1 ]; then
		fail "check-config: $desc" "exit $rc, want 1: $(tail -3 "$T/cc.out")"
		return
	fi
	for w in "$@"; do
		if ! grep -qF -- "$w" "$T/cc.out"; then
			fail "check-config: $desc" "no \"$w\" in: $(cat "$T/cc.out")"
			return
		fi
	done
	pass "check-config: $desc"
}

# serve_refuses DESC FILE WANT: serve exits non-zero (within 10 s, not
# killed by the timeout) and says WANT.
serve_refuses() {
	local desc=$1 file=$2 want=$3 rc=0
	timeout 10 env BERTH_DRIVER_DIR="$BUILD/lib/berth" "$BUILD/bin/berth" \
		serve "$file" > "$T/serve.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
		fail "serve: $desc" "exit $rc (want a refusal): $(tail -3 "$T/serve.out")"
	elif ! grep -qF -- "$want" "$T/serve.out"; then
		fail "serve: $desc" "no \"$want\" in: $(tail -3 "$T/serve.out")"
	else
		pass "serve: $desc"
	fi
}

# both DESC FILE WANT: check-config and serve both refuse FILE saying WANT.
both() {
	check_config_says "$1" "$2" "$3"
	serve_refuses "$1" "$2" "$3"
}

# cfg NAME ADDR [extra yaml]: a filesystem config in $T/NAME.yml; the
# rootdirectory is on line 5.
cfg() {
	local name=$1 addr=$2
	cat > "$T/$name.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $T/root-$name
http:
  addr: "$addr"
YAML
	[ -n "${3:-}" ] && printf '%s\n' "$3" >> "$T/$name.yml"
	return 0
}

port=$(free_port)

# -------------------------------------------------------- a good config
cfg good "127.0.0.1:$port"
if berth check-config "$T/good.yml" > "$T/cc.out" 2>&1 &&
	grep -q "good.yml: OK (storage driver filesystem)" "$T/cc.out"; then
	pass "check-config: a good config is OK, exit 0"
else
	fail "check-config: a good config is OK, exit 0" "$(cat "$T/cc.out")"
fi

# ------------------------------------------- what only start-up can find
# a driverpath that does not exist (line 7 of the file)
cfg driverpath "127.0.0.1:$port"
sed -i "s|^    rootdirectory: .*|&\n    driverpath: $T/no-such/storage-x.so|" "$T/driverpath.yml"
both "a driverpath that does not exist" "$T/driverpath.yml" \
	"driverpath.yml:7: storage.filesystem.driverpath: cannot load storage driver $T/no-such/storage-x.so"

# an option the driver does not know: the driver's validate_config
# names it, the message points at its line, and create is never called
# (it would have made the root directory)
cfg option "127.0.0.1:$port"
sed -i "s|^    rootdirectory: .*|&\n    rootdirectry: /typo|" "$T/option.yml"
both "an option the driver does not know" "$T/option.yml" \
	"option.yml:7: storage.filesystem.rootdirectry: storage driver filesystem: configuration error: filesystem: unknown option \"rootdirectry\""
if [ -e "$T/root-option" ]; then
	fail "validate_config: a refused option creates no root" "$T/root-option exists"
else
	pass "validate_config: a refused option creates no root"
fi

# a value the driver refuses, at the line of its key
cfg threads "127.0.0.1:$port"
sed -i "s|^    rootdirectory: .*|&\n    maxthreads: 3|" "$T/threads.yml"
check_config_says "a value the driver refuses" "$T/threads.yml" \
	"threads.yml:7: storage.filesystem.maxthreads: storage driver filesystem: configuration error: filesystem: maxthreads must be an integer >= 25"
if [ -e "$T/root-threads" ]; then
	fail "validate_config: a refused value creates no root" "$T/root-threads exists"
else
	pass "validate_config: a refused value creates no root"
fi

# a driver Berth does not have
cat > "$T/azure.yml" <<YAML
version: 0.1
storage:
  azure:
    accountname: acct
    accountkey: a2V5
    container: registry
http:
  addr: 127.0.0.1:$port
YAML
both "a driver that is not installed" "$T/azure.yml" \
	"azure.yml:3: storage.azure: no storage driver \"azure\" is installed"

# ------------------------------------------------------------ port range
for a in "127.0.0.1:99999" ":0" ":abc" "127.0.0.1" "[::1]:65536"; do
	cfg badport "$a"
	both "http.addr \"$a\" is refused" "$T/badport.yml" \
		"badport.yml:8: http.addr: "
done
cfg port65535 "127.0.0.1:65535"
if berth check-config "$T/port65535.yml" > "$T/cc.out" 2>&1; then
	pass "check-config: port 65535 is accepted"
else
	fail "check-config: port 65535 is accepted" "$(cat "$T/cc.out")"
fi
cfg badport "127.0.0.1:99999"
check_config_says "the port message says the range" "$T/badport.yml" \
	"the port must be a number from 1 to 65535, got \"99999\""

# -------------------------------------- Distribution keys Berth refuses
cfg proxy "127.0.0.1:$port" "proxy:
  remoteurl: https://registry-1.docker.io"
both "proxy (pull-through cache) is refused" "$T/proxy.yml" \
	"proxy.yml:9: proxy: Berth does not implement the pull-through cache (proxy) yet"
cfg notif "127.0.0.1:$port" "notifications:
  endpoints:
    - name: hook
      url: https://example.com/hook"
both "notification endpoints are refused" "$T/notif.yml" \
	"notif.yml:10: notifications.endpoints: Berth does not implement event notifications yet"
cfg header "127.0.0.1:$port" "  headers:
    X-Frame-Options: [DENY]"
both "a response header other than nosniff is refused" "$T/header.yml" \
	"header.yml:10: http.headers.X-Frame-Options: Berth does not implement configured response headers yet"
cfg schema1 "127.0.0.1:$port" "compatibility:
  schema1:
    enabled: true"
both "schema1 compatibility is refused" "$T/schema1.yml" \
	"schema1.yml:11: compatibility.schema1.enabled: Berth does not implement schema1 manifests yet"

# ----------------------------------------- every problem, not the first
cfg many "127.0.0.1:99999" "proxy:
  remoteurl: https://registry-1.docker.io
auth:
  htpasswd:
    realm: r
    path: $T/no-such-htpasswd"
sed -i "s|^    rootdirectory: .*|&\n    driverpath: $T/no-such/storage-x.so|" "$T/many.yml"
check_config_says "names every problem of a file" "$T/many.yml" \
	"many.yml:7: storage.filesystem.driverpath:" \
	"many.yml:9: http.addr:" \
	"many.yml:10: proxy:" \
	"many.yml:15: auth.htpasswd.path: cannot read the htpasswd file"
n=$(grep -c '^berth: ' "$T/cc.out")
check "check-config: one line per problem (4)" test "$n" = 4

# ------------------------------------------------ passwords over HTTP
htpasswd -bBc -C 5 "$T/htpasswd" alice alice-pw > /dev/null 2>&1
cfg public "0.0.0.0:$port" "auth:
  htpasswd:
    realm: berth
    path: $T/htpasswd"
both "passwords over plain HTTP on a public address" "$T/public.yml" \
	"public.yml:10: auth.htpasswd: refusing to accept passwords over plain HTTP on http.addr 0.0.0.0:$port"
cfg anyaddr ":$port" "auth:
  htpasswd:
    realm: berth
    path: $T/htpasswd"
both "passwords over plain HTTP on every interface" "$T/anyaddr.yml" \
	"refusing to accept passwords over plain HTTP on http.addr :$port"

# ------------------------------------------- Debian's stock config.yml
deb=$TESTS_DIR/fixtures/debian/config.yml
export REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=$T/root-debian
check_config_says "Debian's stock config.yml is refused as it is" "$deb" \
	"config.yml:17: auth.htpasswd: refusing to accept passwords over plain HTTP on http.addr :5000" \
	"config.yml:19: auth.htpasswd.path: /etc/docker/registry is a directory, not an htpasswd file"
serve_refuses "Debian's stock config.yml is refused as it is" "$deb" \
	"refusing to accept passwords over plain HTTP on http.addr :5000"

# on loopback, with a real password file: starts, warns, authenticates
sed -e "s|addr: :5000|addr: 127.0.0.1:$port|" \
	-e "s|path: /etc/docker/registry\$|path: $T/htpasswd|" "$deb" > "$T/debian-local.yml"
if berth check-config "$T/debian-local.yml" > "$T/cc.out" 2>&1 &&
	grep -q "OK" "$T/cc.out" &&
	grep -q "accepting passwords over plain HTTP on the loopback address" "$T/cc.out"; then
	pass "check-config: Debian's config on loopback is OK, with the warning"
else
	fail "check-config: Debian's config on loopback is OK, with the warning" "$(cat "$T/cc.out")"
fi
if start_berth "$T/debian-local.yml"; then
	pass "serve: Debian's config on loopback starts"
	check "serve: the warning is logged" grep -q \
		"accepting passwords over plain HTTP on the loopback address 127.0.0.1:$port" \
		"$T/berth-$berth_port.log"
	expect_error "serve: Debian's config asks for credentials" 401 UNAUTHORIZED GET "$berth_url/v2/"
	expect_status "serve: Debian's config accepts alice" 200 GET "$berth_url/v2/" -u alice:alice-pw
	expect_status "serve: Debian's config refuses a wrong password" 401 GET "$berth_url/v2/" -u alice:wrong
	dg=$(printf 'hello' > "$T/blob" && sha256_of "$T/blob")
	expect_status "serve: an authenticated push" 201 POST \
		"$berth_url/v2/deb/blobs/uploads/?digest=$dg" -u alice:alice-pw \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/blob"
	expect_status "serve: an authenticated pull" 200 GET "$berth_url/v2/deb/blobs/$dg" -u alice:alice-pw
	stop_berth
else
	fail "serve: Debian's config on loopback starts"
fi

# on a public address without TLS: refused, by both
sed -e "s|addr: :5000|addr: 0.0.0.0:$port|" \
	-e "s|path: /etc/docker/registry\$|path: $T/htpasswd|" "$deb" > "$T/debian-public.yml"
both "Debian's config on a public address without TLS" "$T/debian-public.yml" \
	"debian-public.yml:17: auth.htpasswd: refusing to accept passwords over plain HTTP on http.addr 0.0.0.0:$port"
unset REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY

finish
