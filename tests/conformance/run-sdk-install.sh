#!/usr/bin/env bash
# tests/conformance/run-sdk-install.sh - a driver author's path, with only
# the installed SDK: `make install PREFIX=...`, build the out-of-tree
# example driver with nothing but pkg-config, and pass the installed
# conformance tool with it.
set -u
source "$(dirname "$0")/../lib.sh"
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

# The installed server starts and finds its installed drivers.
check "installed berth --version" "$prefix/bin/berth" --version
finish
