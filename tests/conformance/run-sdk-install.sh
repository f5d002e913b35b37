#!/usr/bin/env bash
# tests/conformance/run-sdk-install.sh - a driver author's path, with only
# the installed SDK: `make install PREFIX=...`, build the out-of-tree
# example drivers (hello, sqlite) with nothing but pkg-config, pass the
# installed conformance tool with each, and serve a push and a pull with
# the installed server on the SQLite example loaded by driverpath.
set -u
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/push.sh"
top=$(cd "$TESTS_DIR/.." && pwd)
prefix=$T/prefix

check "make install PREFIX=<tmp>" \
	make -C "$top" --no-print-directory -s BUILD="$BUILD" install PREFIX="$prefix"
check "installed berth-driver.pc" test -f "$prefix/lib/pkgconfig/berth-driver.pc"
check "installed public headers" test -f "$prefix/include/berth/storage.h" -a -f "$prefix/include/berth/sdk.h"
check "installed conformance tool" test -x "$prefix/bin/berth-driver-test"
check "installed drivers" test -f "$prefix/lib/berth/storage-filesystem.so"

doc=$prefix/share/doc/berth-driver
check "installed driver guide" test -f "$doc/README.md"
check "installed berth-storage(3)" grep -q 'Edge rules' "$prefix/share/man/man3/berth-storage.3"
check "installed inmemory example" test -f "$doc/examples/inmemory/mem_driver.c" -a -f "$doc/examples/inmemory/Makefile"
check "installed sqlite example" test -f "$doc/examples/sqlite-driver/sqlite.c" -a -f "$doc/examples/sqlite-driver/Makefile"
# --cflags needs no .pc file of libcurl, libxml2 or libcrypto (no -dev packages)
check "pkg-config --cflags without the optional libraries' .pc files" \
	env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
	pkg-config --cflags berth-driver

# Build the examples outside the tree, from what was installed only.
cp -r "$doc/examples/hello-driver" "$T/hello"
cp -r "$doc/examples/inmemory" "$T/inmemory"
check "inmemory example builds with only PKG_CONFIG_PATH" \
	env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -C "$T/inmemory" --no-print-directory -s
rm -f "$T/hello/storage-hello.so"
check "example driver builds with only PKG_CONFIG_PATH" \
	env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -C "$T/hello" --no-print-directory
check "example exports only the entry symbol" \
	bash -c "[ \"\$(nm -D --defined-only '$T/hello/storage-hello.so' | awk '\$2 ~ /[TDB]/ {print \$3}' | grep -v '^_' | sort -u)\" = berth_storage_driver_v1 ]"

# Under AddressSanitizer (make check-asan) freed blocks stay in its
# quarantine, 256 MiB by default: the example keeps its objects in
# memory and grows them by realloc, so the quarantined old copies would
# count against memory-bounded-stream's RSS bound.  A smaller quarantine
# still catches use after free of recent blocks.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16" \
	"$prefix/bin/berth-driver-test" --short "$T/hello/storage-hello.so" > "$T/hello.out" 2>&1
rc=$?
check "installed berth-driver-test passes the example driver" test "$rc" = 0
grep -E '^[0-9]+ passed, 0 failed' "$T/hello.out" > /dev/null ||
	fail "conformance summary of the example" "$(tail -3 "$T/hello.out")"
tail -1 "$T/hello.out" | sed "s/^/     /"

# The SQLite example: the same path, plus SQLite's pkg-config file
# (libsqlite3-dev) and a configuration naming its database file.  Under
# make check-asan it is built with the sanitizers of the tool and the
# server that load it, so its own code is checked too, not only theirs.
cp -r "$doc/examples/sqlite-driver" "$T/sqlite"
sq_flags=()
[ -n "${BERTH_SANITIZED:-}" ] &&
	sq_flags=(CFLAGS="-O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all")
check "sqlite example builds with only PKG_CONFIG_PATH" \
	env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -C "$T/sqlite" --no-print-directory "${sq_flags[@]}"
so=$T/sqlite/storage-sqlite.so
check "sqlite example exports only the entry symbol" \
	bash -c "[ \"\$(nm -D --defined-only '$so' | awk '\$2 ~ /[TDB]/ {print \$3}' | grep -v '^_' | sort -u)\" = berth_storage_driver_v1 ]"
mkdir -p "$T/sqlite-data"
cat > "$T/sqlite.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  sqlite:
    path: $T/sqlite-data/conformance.db
YAML
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16" \
	"$prefix/bin/berth-driver-test" --short "$so" "$T/sqlite.yml" > "$T/sqlite.out" 2>&1
rc=$?
check "installed berth-driver-test passes the sqlite example" test "$rc" = 0
grep -E '^[0-9]+ passed, 0 failed' "$T/sqlite.out" > /dev/null ||
	fail "conformance summary of the sqlite example" "$(grep -E '^FAIL' "$T/sqlite.out" | head -3; tail -1 "$T/sqlite.out")"
tail -1 "$T/sqlite.out" | sed "s/^/     /"

# The installed server on the SQLite example, loaded by driverpath from
# outside every driver directory: push an image (monolithic and chunked
# uploads), pull it back, and again after a restart (the data lives in
# the database file, not in the process).
port=$(free_port)
cat > "$T/serve-sqlite.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  sqlite:
    driverpath: $so
    path: $T/sqlite-data/registry.db
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
check "installed berth check-config accepts the sqlite configuration" \
	"$prefix/bin/berth" check-config "$T/serve-sqlite.yml"
export BERTH_SERVER_CMD=$prefix/bin/berth
if start_berth "$T/serve-sqlite.yml"; then
	pass "installed berth serves with the sqlite example (driverpath)"
	check "push an image to the sqlite store (monolithic)" \
		pimage "$berth_url" sq/mono v1 "$T/img-mono" mono "1000 300000"
	check "push an image to the sqlite store (chunked)" \
		pimage "$berth_url" sq/chunked v1 "$T/img-chunked" chunked "2500000"
	check "pull it back from the sqlite store" \
		pverify "$berth_url" sq/mono v1 "$T/img-mono"
	check "pull the chunked push back" \
		pverify "$berth_url" sq/chunked v1 "$T/img-chunked"
	stop_berth
	start_berth "$T/serve-sqlite.yml" || fail "restart on the sqlite store" "$(tail -5 "$T"/berth-*.log)"
	check "pull after a restart" pverify "$berth_url" sq/chunked v1 "$T/img-chunked"
	check "the database file holds the data" test -s "$T/sqlite-data/registry.db"
	stop_berth
else
	fail "installed berth serves with the sqlite example (driverpath)" "$(tail -5 "$T"/berth-*.log)"
fi
unset BERTH_SERVER_CMD

# The installed server starts and finds its installed drivers.
check "installed berth --version" "$prefix/bin/berth" --version
finish
